//! `cargo bench --bench email`: notifications through the outbox worker and the lettre SMTP
//! pool to an SMTP sink on loopback that completes DATA and counts. Prints
//! `bench email_smtp <n> msg/s`. Target ≥ 300 msg/s.

#[path = "../tests/it/smtp.rs"]
#[allow(dead_code)]
mod smtp;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::EmailMessage;
use hdnd_hub::delivery::email::{EmailChannel, EmailSettings, SmtpSecurity, SmtpSettings};
use hdnd_hub::delivery::outbox::{Category, Destination, NewNotification, OutboxStatus, Target};
use hdnd_hub::delivery::worker::{DeliverySettings, ExecutionOutcome, Worker};
use hdnd_hub::{Clock, SystemClock};

const MESSAGES: usize = 3_000;

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let store = hdnd_hub::storage::open(&url, Arc::new(SystemClock))
        .await
        .expect("open the store");
    let notes: Vec<_> = (0..MESSAGES)
        .map(|i| NewNotification {
            key: format!("n{i}"),
            to: Target::Contacts(vec![Destination {
                channel: ChannelKind::Email,
                address: format!("cu-tri-{i}@example.org"),
            }]),
            category: Category::CaseUpdate,
            urgent: false,
            email: Some(EmailMessage {
                subject: format!("[HB.20261126.{i:04}] Hồ sơ của bạn đã được tiếp nhận"),
                text:
                    "Kính gửi ông/bà,\n\nHội đồng nhân dân phường đã tiếp nhận hồ sơ của ông/bà.\n"
                        .repeat(3),
                html: Some(
                    "<p>Kính gửi ông/bà,</p><p>Hội đồng nhân dân phường đã tiếp nhận hồ sơ.</p>"
                        .to_owned(),
                ),
                message_id: Some(format!("<bench-{i}@hongbang.example>")),
                ..EmailMessage::default()
            }),
            telegram: None,
            due_at: SystemClock.now(),
            suppressed: false,
        })
        .collect();
    store.enqueue("bench", None, &notes).await.expect("enqueue");

    let sink = smtp::SmtpSink::start().await;
    let settings = EmailSettings {
        smtp: Some(SmtpSettings::new(
            "127.0.0.1",
            sink.addr.port(),
            SmtpSecurity::Plain,
        )),
        ..EmailSettings::default()
    };
    let channel = EmailChannel::new(&settings).expect("the email channel");
    let worker = Worker::new(
        store.clone(),
        vec![Arc::new(channel)],
        DeliverySettings::default(),
    );

    let started = Instant::now();
    while worker.try_execute_batch().await.expect("a batch") != ExecutionOutcome::Idle {}
    let elapsed = started.elapsed();
    sink.wait_for(MESSAGES, Duration::from_secs(10)).await;

    let counts = store.count_outbox().await.expect("counts");
    let sent = counts
        .iter()
        .find(|(s, _)| *s == OutboxStatus::Sent)
        .map_or(0, |c| c.1);
    assert_eq!(
        sent, MESSAGES as i64,
        "every message must be sent: {counts:?}"
    );
    println!(
        "bench email_smtp {:.0} msg/s",
        MESSAGES as f64 / elapsed.as_secs_f64()
    );
}
