//! The IMAP poller against Debian's Dovecot (`dovecot.rs`). Through the real binary: a
//! citizen's mail in the mailbox becomes a case acknowledged at the SMTP sink and is flagged
//! `\Seen` after, and a mail that comes while hdnd waits arrives by IDLE; hdnd killed after
//! fetching a mail it could not store loses nothing, and the next process files it. In
//! process: a store that cannot write leaves the mail unread, a working one stores it once, a
//! mail stored but never flagged is a replay; a mail over the size limit stays unread; the
//! configured security is never given up for a plain login. Both databases.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdnd_hub::SystemClock;
use hdnd_hub::delivery::email::{ImapSecurity, ImapSettings};
use hdnd_hub::domain::{CaseKind, ContactKind, InboundSource, SourceChannel};
use hdnd_hub::inbound::InboundWorker;
use hdnd_hub::storage::{CaseFilter, Store};
use hdnd_mail::imap::{ImapError, ImapPoller, Sweep};
use sqlx::Connection;

use crate::dovecot::{self, Dovecot};
use crate::helpers::{TestDb, captured_logs, contract_tests};
use crate::mail_process::{MAILBOX, MailProcess, WAIT};
use crate::smtp::SmtpSink;

contract_tests!(
    a_mail_in_the_mailbox_becomes_a_case_and_is_flagged_seen_once_stored,
    a_process_killed_after_fetching_and_before_storing_loses_no_mail,
    a_mail_is_flagged_seen_only_once_stored_and_a_replay_stores_nothing_new,
);

const CONTACT_KEY: &str = "test-contact-key-of-the-imap-poller-0123456789abcdef";
const CITIZEN: &str = "tran.van.minh@example.org";
const TEXT: &str = "Cống thoát nước trước nhà số 8 ngõ 45 bị tắc, nước tràn lên mặt đường.";

/// A citizen's mail, as their provider would deliver it.
fn mail(message_id: &str, subject: &str, body: &str) -> String {
    format!(
        "From: Trần Văn Minh <{CITIZEN}>\r\nTo: {MAILBOX}\r\nSubject: {subject}\r\n\
         Message-ID: <{message_id}>\r\nDate: Thu, 26 Nov 2026 09:30:00 +0700\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n"
    )
}

/// `hdnd serve` reading `dovecot`'s mailbox, its mail out to `sink`.
struct Hdnd(MailProcess);

impl Hdnd {
    /// With `poll_secs` as the longest IDLE (and the polling interval without IDLE).
    fn start(database_url: &str, sink: &SmtpSink, dovecot: &Dovecot, poll_secs: u64) -> Hdnd {
        let imap = format!(
            "[email.inbound.imap]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"plain\"\n\
             username = \"{}\"\npassword = \"{}\"\npoll_secs = {poll_secs}\ntimeout_secs = 5\n\
             leader_renew_ms = 300",
            dovecot.addr.port(),
            dovecot::USER,
            dovecot::PASSWORD,
        );
        Hdnd(MailProcess::start(database_url, CONTACT_KEY, sink, &imap))
    }

    fn log(&self) -> String {
        self.0.log()
    }

    async fn until_logged(&mut self, line: &str) {
        self.0.until_logged(line).await;
    }

    async fn kill(self) -> String {
        self.0.kill().await
    }

    /// Neither the citizen's address, nor what they wrote, nor the mailbox's password.
    fn assert_log_is_clean(&self) {
        self.0.assert_log_hides(&[CITIZEN, TEXT, dovecot::PASSWORD]);
    }
}

/// Runs `sql` on the database at `url`.
async fn execute(url: &str, sql: &str) {
    if url.starts_with("sqlite:") {
        let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut db)
            .await
            .unwrap();
    } else {
        let mut db = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut db)
            .await
            .unwrap();
    }
}

/// From now on, every insert into `inbound` fails, as on a full disk.
async fn break_inbound(url: &str) {
    let sql = match url.starts_with("sqlite:") {
        true => {
            "CREATE TRIGGER inbound_fails BEFORE INSERT ON inbound \
             BEGIN SELECT RAISE(ABORT, 'the disk is full (test)'); END;"
        }
        false => {
            "CREATE FUNCTION inbound_fails() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'the disk is full (test)'; END $$; \
             CREATE TRIGGER inbound_fails BEFORE INSERT ON inbound \
             FOR EACH ROW EXECUTE FUNCTION inbound_fails();"
        }
    };
    execute(url, sql).await;
}

async fn mend_inbound(url: &str) {
    let sql = match url.starts_with("sqlite:") {
        true => "DROP TRIGGER inbound_fails;",
        false => "DROP TRIGGER inbound_fails ON inbound; DROP FUNCTION inbound_fails();",
    };
    execute(url, sql).await;
}

/// The keys of the stored mails, oldest first.
async fn mail_keys(store: &Arc<dyn Store>) -> Vec<String> {
    let mut keys = Vec::new();
    for id in 1..=20 {
        if let Ok(row) = store.get_inbound(id).await
            && row.source == InboundSource::Email
        {
            keys.push(row.key.as_str().to_owned());
        }
    }
    keys
}

/// The test account's settings for a poller in this process.
fn imap_settings(dovecot: &Dovecot, security: ImapSecurity) -> ImapSettings {
    ImapSettings {
        timeout_secs: 5,
        ..ImapSettings::new(
            "127.0.0.1",
            dovecot.addr.port(),
            security,
            dovecot::USER,
            dovecot::PASSWORD,
        )
    }
}

async fn a_mail_in_the_mailbox_becomes_a_case_and_is_flagged_seen_once_stored(db: TestDb) {
    // Arrange: a mail waiting in the mailbox before hdnd starts.
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    let sink = SmtpSink::start().await;
    dovecot
        .deliver(&mail("i1@example.org", "Phản ánh cống tắc", TEXT))
        .await;
    let store = db.open(Arc::new(SystemClock)).await;

    // Act 1: hdnd starts, polling only every ten minutes: the second mail can come in time
    // only by IDLE.
    let mut hdnd = Hdnd::start(&db.url, &sink, &dovecot, 600);

    // Assert 1: a petition by email from the sender, acknowledged to them; the mail is read.
    let ack = sink.wait_for(1, WAIT).await.remove(0);
    assert_eq!(ack.rcpt_to, [CITIZEN]);
    let case = store
        .list_cases(&CaseFilter::default())
        .await
        .unwrap()
        .remove(0);
    assert_eq!(case.channel, SourceChannel::Email);
    assert_eq!(case.contacts[0].kind, ContactKind::Email);
    assert_eq!(case.contacts[0].address, CITIZEN);
    assert!(case.content.starts_with(TEXT), "{}", case.content);
    let subject = hdnd_mail::parse(ack.raw.as_bytes()).unwrap().subject;
    assert!(subject.contains(case.code.as_str()), "{subject}");
    assert_eq!(dovecot.unseen_and_seen().await, (vec![], vec![1]));

    // Act 2: another mail while hdnd waits.
    hdnd.until_logged("waiting for mail by IDLE").await;
    dovecot
        .deliver(&mail(
            "i2@example.org",
            "Kiến nghị",
            "Đề nghị lắp thêm đèn ở ngõ 45.",
        ))
        .await;

    // Assert 2: it is a second case at once, and read; each mail stored once, under the
    // account, folder, UIDVALIDITY and UID.
    let acks = sink.wait_for(2, WAIT).await;
    assert_eq!(acks[1].rcpt_to, [CITIZEN]);
    let cases = store.list_cases(&CaseFilter::default()).await.unwrap();
    assert_eq!(cases.len(), 2);
    assert!(cases.iter().any(|c| c.kind == CaseKind::KienNghi));
    assert_eq!(dovecot.unseen_and_seen().await, (vec![], vec![1, 2]));
    let keys = mail_keys(&store).await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    let account = format!("{}@127.0.0.1/INBOX:", dovecot::USER);
    assert!(keys.iter().all(|k| k.starts_with(&account)), "{keys:?}");
    assert!(
        keys[0].ends_with(":1") && keys[1].ends_with(":2"),
        "{keys:?}"
    );
    let log = hdnd.log();
    assert!(log.contains("now holds the lease email-imap"), "{log}");
    hdnd.assert_log_is_clean();
}

async fn a_process_killed_after_fetching_and_before_storing_loses_no_mail(db: TestDb) {
    // Arrange: a store that cannot write inbound rows, and a mail in the mailbox.
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    let sink = SmtpSink::start().await;
    let store = db.open(Arc::new(SystemClock)).await;
    break_inbound(&db.url).await;
    dovecot
        .deliver(&mail("k1@example.org", "Phản ánh cống tắc", TEXT))
        .await;

    // Act 1: hdnd fetches the mail, fails to store it, and is killed.
    let mut first = Hdnd::start(&db.url, &sink, &dovecot, 1);
    first.until_logged("cannot store a fetched mail").await;
    let log = first.kill().await;

    // Assert 1: nothing stored, nothing sent, the mail still unread on the server.
    assert!(mail_keys(&store).await.is_empty(), "{log}");
    assert_eq!(dovecot.unseen_and_seen().await, (vec![1], vec![]), "{log}");

    // Act 2: the store mends; a new process starts.
    mend_inbound(&db.url).await;
    let second = Hdnd::start(&db.url, &sink, &dovecot, 1);

    // Assert 2: the mail is a case, acknowledged, stored once and read.
    let ack = sink.wait_for(1, WAIT).await.remove(0);
    assert_eq!(ack.rcpt_to, [CITIZEN]);
    assert_eq!(
        store
            .list_cases(&CaseFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(mail_keys(&store).await.len(), 1);
    let deadline = Instant::now() + WAIT;
    while dovecot.unseen_and_seen().await != (vec![], vec![1]) {
        assert!(
            Instant::now() < deadline,
            "never flagged:\n{}",
            second.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!log.contains(CITIZEN) && !log.contains(TEXT), "{log}");
    second.assert_log_is_clean();
}

async fn a_mail_is_flagged_seen_only_once_stored_and_a_replay_stores_nothing_new(db: TestDb) {
    // Arrange
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    let store = db.open(Arc::new(SystemClock)).await;
    let poller = ImapPoller::new(
        &imap_settings(&dovecot, ImapSecurity::Plain),
        InboundWorker::new(store.clone(), Default::default()),
        1024 * 1024,
    );
    dovecot
        .deliver(&mail("r1@example.org", "Phản ánh cống tắc", TEXT))
        .await;

    // Act 1: the store cannot write.
    break_inbound(&db.url).await;
    let failed = poller.poll_once().await;

    // Assert 1: the mail stays unread, and nothing is stored.
    assert!(matches!(failed, Err(ImapError::Store(_))), "{failed:?}");
    assert_eq!(dovecot.unseen_and_seen().await, (vec![1], vec![]));
    assert!(mail_keys(&store).await.is_empty());

    // Act 2: the store mends.
    mend_inbound(&db.url).await;
    let stored = poller.poll_once().await.unwrap();

    // Assert 2: stored once, then read.
    assert_eq!(
        stored,
        Sweep {
            stored: 1,
            ..Sweep::default()
        }
    );
    assert_eq!(dovecot.unseen_and_seen().await, (vec![], vec![1]));
    assert_eq!(mail_keys(&store).await.len(), 1);

    // Act 3: as if a crash came after the store but before the flag.
    dovecot.mark_all_unread().await;
    let replayed = poller.poll_once().await.unwrap();
    let nothing = poller.poll_once().await.unwrap();

    // Assert 3: the same row, now read; then nothing more to do.
    assert_eq!(
        replayed,
        Sweep {
            replayed: 1,
            ..Sweep::default()
        }
    );
    assert_eq!(nothing, Sweep::default());
    assert_eq!(dovecot.unseen_and_seen().await, (vec![], vec![1]));
    assert_eq!(mail_keys(&store).await.len(), 1);
}

#[tokio::test]
async fn a_mail_over_the_size_limit_stays_unread_and_is_warned_of_once() {
    // Arrange
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let store = db.open(Arc::new(SystemClock)).await;
    let poller = ImapPoller::new(
        &imap_settings(&dovecot, ImapSecurity::Plain),
        InboundWorker::new(store.clone(), Default::default()),
        2048,
    );
    let big = mail("big@example.org", "Ảnh chụp", &"ảnh ".repeat(1000));
    dovecot.deliver(&big).await;
    dovecot
        .deliver(&mail("small@example.org", "Góp ý", TEXT))
        .await;
    captured_logs();

    // Act
    let first = poller.poll_once().await.unwrap();
    let second = poller.poll_once().await.unwrap();

    // Assert: the small one stored and read; the big one neither, told of once.
    assert_eq!(
        first,
        Sweep {
            stored: 1,
            too_large: 1,
            ..Sweep::default()
        }
    );
    assert_eq!(
        second,
        Sweep {
            too_large: 1,
            ..Sweep::default()
        }
    );
    assert_eq!(dovecot.unseen_and_seen().await, (vec![1], vec![2]));
    assert_eq!(mail_keys(&store).await.len(), 1);
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    let warned = logs
        .lines()
        .filter(|l| l.contains("larger than email.inbound.max_message_bytes"))
        .filter(|l| l.contains(&format!("{} bytes", big.len())))
        .count();
    assert_eq!(warned, 1, "{logs}");
}

#[tokio::test]
async fn the_poller_never_falls_back_to_a_plain_login() {
    // Arrange: a Dovecot that offers neither TLS nor STARTTLS, and a wrong password.
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    let db = TestDb::sqlite().await;
    let store = db.open(Arc::new(SystemClock)).await;
    let poller = |settings: ImapSettings| {
        ImapPoller::new(
            &settings,
            InboundWorker::new(store.clone(), Default::default()),
            1 << 20,
        )
    };
    dovecot
        .deliver(&mail("t1@example.org", "Góp ý", TEXT))
        .await;
    let wrong = ImapSettings {
        password: "not-the-password".to_owned(),
        ..imap_settings(&dovecot, ImapSecurity::Plain)
    };

    let logins_before = dovecot.log().matches("Login: user=").count();

    // Act
    let tls = poller(imap_settings(&dovecot, ImapSecurity::Tls))
        .poll_once()
        .await;
    let starttls = poller(imap_settings(&dovecot, ImapSecurity::Starttls))
        .poll_once()
        .await;
    let refused = poller(wrong).poll_once().await;

    // Assert: Dovecot saw no login from any of them (it logs a refusal as the connection
    // closes, so a moment later), and each fails with its reason; the password is in no
    // error, and nothing was read.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !dovecot.log().contains("auth failed") {
        assert!(Instant::now() < deadline, "{}", dovecot.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = dovecot.log();
    assert_eq!(log.matches("Login: user=").count(), logins_before, "{log}");
    assert_eq!(log.matches("auth failed").count(), 1, "{log}");
    assert!(matches!(tls, Err(ImapError::Tls(_))), "{tls:?}");
    assert!(
        matches!(starttls, Err(ImapError::Starttls(_))),
        "{starttls:?}"
    );
    assert!(matches!(refused, Err(ImapError::Login(_))), "{refused:?}");
    for error in [tls, starttls, refused].map(|r| r.unwrap_err().to_string()) {
        assert!(!error.contains(dovecot::PASSWORD), "{error}");
    }
    assert_eq!(dovecot.unseen_and_seen().await, (vec![1], vec![]));
    assert!(mail_keys(&store).await.is_empty());
}
