//! Delivery end to end: the real `hdnd` binary sending through the email channel to an SMTP
//! sink the test owns, killed mid-flight and restarted; two processes sharing one PostgreSQL
//! outbox; and the worker riding out an SMTP server that goes down, or refuses a mailbox.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::email::{EmailChannel, EmailSettings, SmtpSecurity, SmtpSettings};
use hdnd_hub::delivery::outbox::{Destination, OutboxStatus, Target};
use hdnd_hub::delivery::worker::{DeliverySettings, Worker};
use hdnd_hub::{Clock, Store, SystemClock};

use crate::helpers::{TestDb, hub_on, start_serving, wait_all_sent};
use crate::outbox::{email, note};
use crate::smtp::{Reply, SmtpSink};

/// Enqueues `n` notifications to distinct addresses, each with its own Message-ID.
async fn enqueue(store: &Arc<dyn Store>, n: usize) {
    let notes: Vec<_> = (0..n)
        .map(|i| {
            let mut n = note(&format!("n{i}"), email(&format!("cu-tri-{i}@example.org")));
            n.email.as_mut().unwrap().message_id = Some(format!("<load-{i}@hongbang.example>"));
            n.due_at = SystemClock.now();
            n
        })
        .collect();
    assert_eq!(store.enqueue("load", None, &notes).await.unwrap(), n as u64);
}

/// Settings that send to `sink`, claim in small batches and lease for 2 s.
fn write_config(dir: &Path, sink: &SmtpSink, batch: u32) -> std::path::PathBuf {
    let path = dir.join("hdnd.toml");
    let text = format!(
        "demo = false\n\n[email]\nfile_dir = \"{dir}/mail\"\n\n[email.smtp]\nhost = \"127.0.0.1\"\nport = {port}\nsecurity = \"plain\"\npool_size = 4\ntimeout_secs = 5\n\n[delivery]\nlease_secs = 2\nbatch_size = {batch}\npoll_interval_ms = 50\nbackoff_base_ms = 200\n",
        dir = dir.display(),
        port = sink.addr.port(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

async fn count(store: &Arc<dyn Store>, status: OutboxStatus) -> i64 {
    store
        .count_outbox()
        .await
        .unwrap()
        .iter()
        .find(|(s, _)| *s == status)
        .map_or(0, |c| c.1)
}

fn by_message_id(sink: &SmtpSink) -> HashMap<String, usize> {
    let mut seen = HashMap::new();
    for mail in sink.messages() {
        *seen
            .entry(mail.message_id().expect("a Message-ID"))
            .or_insert(0) += 1;
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sender_restarts_and_loses_nothing() {
    const N: usize = 2_000;
    // Arrange
    let db = TestDb::sqlite().await;
    // The real clock: the `hdnd` processes compare `due_at` with theirs.
    let store = db.open(Arc::new(SystemClock)).await;
    enqueue(&store, N).await;
    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sink, 32);

    // Act: kill the sender with SIGKILL once a tenth has arrived.
    let mut first = start_serving(dir.path(), &config, &db.url);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while sink.messages().len() < N / 10 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first sender sent too little"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let arrived_at_kill = sink.messages().len();
    let sending_at_kill = count(&store, OutboxStatus::Sending).await;
    let mut second = start_serving(dir.path(), &config, &db.url);
    wait_all_sent(&store, N as i64).await;
    second.start_kill().unwrap();

    // Assert
    assert!(
        arrived_at_kill < N * 9 / 10,
        "killed too late: {arrived_at_kill} of {N} had arrived"
    );
    let seen = by_message_id(&sink);
    for i in 0..N {
        assert!(
            seen.contains_key(&format!("<load-{i}@hongbang.example>")),
            "message {i} never arrived"
        );
    }
    let duplicates: usize = seen.values().map(|n| n - 1).sum();
    assert!(
        duplicates as i64 <= sending_at_kill,
        "{duplicates} duplicates but only {sending_at_kill} rows were being sent at the kill"
    );
    eprintln!(
        "crash test: killed at {arrived_at_kill}/{N}, {sending_at_kill} rows in flight, {duplicates} duplicates"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_drain_one_postgres_outbox_without_duplicates() {
    const N: usize = 2_000;
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let store = db.open(Arc::new(SystemClock)).await;
    enqueue(&store, N).await;
    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &sink, 8);

    // Act
    let mut a = start_serving(dir.path(), &config, &db.url);
    let mut b = start_serving(dir.path(), &config, &db.url);
    wait_all_sent(&store, N as i64).await;
    a.start_kill().unwrap();
    b.start_kill().unwrap();

    // Assert
    let seen = by_message_id(&sink);
    assert_eq!(seen.len(), N);
    assert!(seen.values().all(|n| *n == 1), "a message went out twice");
    let mut shares: HashMap<String, usize> = HashMap::new();
    for row in store
        .list_outbox(Some(OutboxStatus::Sent), N as i64)
        .await
        .unwrap()
    {
        *shares.entry(row.claimed_by.unwrap()).or_insert(0) += 1;
    }
    assert_eq!(shares.len(), 2, "{shares:?}");
    for (process, sent) in &shares {
        assert!(
            *sent >= N / 5,
            "{process} sent only {sent} of {N}: {shares:?}"
        );
    }
    eprintln!("two processes: {shares:?}");
}

fn smtp_to(sink: &SmtpSink) -> EmailChannel {
    let settings = EmailSettings {
        smtp: Some(SmtpSettings::new(
            "127.0.0.1",
            sink.addr.port(),
            SmtpSecurity::Plain,
        )),
        ..EmailSettings::default()
    };
    EmailChannel::new(&settings).unwrap()
}

#[tokio::test]
async fn mail_waits_while_smtp_is_down_and_goes_out_when_it_is_back() {
    // Arrange: the server is down.
    let db = TestDb::sqlite().await;
    let (hub, clock) = hub_on(&db).await;
    let store = hub.store().clone();
    let sink = SmtpSink::start().await;
    let addr = sink.addr;
    sink.stop().await;
    let settings = DeliverySettings {
        backoff_base_ms: 1_000,
        ..DeliverySettings::default()
    };
    let worker = Worker::new(store.clone(), vec![Arc::new(smtp_to(&sink))], settings);
    store
        .enqueue("e", None, &[note("x", email("x@example.org"))])
        .await
        .unwrap();

    // Act
    worker.try_execute_batch().await.unwrap();
    let waiting = store.list_outbox(None, 1).await.unwrap().remove(0);
    let sink = SmtpSink::start_on(addr).await;
    clock.advance(chrono::Duration::seconds(2));
    worker.try_execute_batch().await.unwrap();

    // Assert
    assert_eq!(waiting.status, OutboxStatus::Queued);
    assert!(waiting.last_error.is_some());
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(
        mails[0].message_id().as_deref(),
        Some("<x@hongbang.example>")
    );
    assert_eq!(
        store.list_outbox(None, 1).await.unwrap()[0].status,
        OutboxStatus::Sent
    );
}

#[tokio::test]
async fn a_refused_mailbox_fails_for_good_and_the_next_address_gets_the_mail() {
    // Arrange: the server refuses the first address.
    let db = TestDb::sqlite().await;
    let (hub, _clock) = hub_on(&db).await;
    let store = hub.store().clone();
    let sink = SmtpSink::start().await;
    let worker = Worker::new(
        store.clone(),
        vec![Arc::new(smtp_to(&sink))],
        DeliverySettings::default(),
    );
    let to = Target::Contacts(vec![
        Destination {
            channel: ChannelKind::Email,
            address: "gone@example.org".to_owned(),
        },
        Destination {
            channel: ChannelKind::Email,
            address: "here@example.org".to_owned(),
        },
    ]);
    store
        .enqueue("e", None, &[note("staff:1", to)])
        .await
        .unwrap();

    // Act
    sink.set_reply(Reply::Reject);
    worker.try_execute_batch().await.unwrap();
    sink.set_reply(Reply::Accept);
    worker.try_execute_batch().await.unwrap();

    // Assert
    let mut rows = store.list_outbox(None, 10).await.unwrap();
    rows.reverse();
    assert_eq!(rows[0].status, OutboxStatus::Failed);
    assert!(
        rows[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("550"),
        "{:?}",
        rows[0].last_error
    );
    assert_eq!(
        (rows[1].address.as_str(), rows[1].status),
        ("here@example.org", OutboxStatus::Sent)
    );
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_to, vec!["here@example.org".to_owned()]);
}
