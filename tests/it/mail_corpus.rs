//! Every message of the corpus (`tests/mail`), a 20 MB one and garbage, through the gateway's
//! handler and the hub's real store: each gets the right case, or none (an automatic mail),
//! or a clear failure, and none stops the ones after it. Attachments go to the file store;
//! one refused is named, with why, in the receipt. Both databases.

use std::sync::Arc;

use hdnd_hub::delivery::notify::Notifier;
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::{CaseKind, ExternalKey, InboundSource, InboundStatus, NewInbound};
use hdnd_hub::files::{FileLimits, FilePolicy, FsBlobStore};
use hdnd_hub::inbound::{InboundSettings, InboundStep, InboundWorker};
use hdnd_hub::storage::CaseFilter;
use hdnd_mail::MailHandler;

use crate::helpers::{TestDb, contract_tests, hub_on};

contract_tests!(every_corpus_message_gets_its_case_or_a_clear_outcome_and_none_stops_the_rest,);

const MAILBOX: &str = "hdnd@hongbang.example";

/// What one message must come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// A new case of this kind, with this many files attached.
    Case(CaseKind, usize),
    /// Processed, no case and no answer: automatic mail.
    Nothing,
    /// Kept, failed with a reason.
    Failed,
}

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/mail/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// A phone's 20 MB photo, base64 as mail carries it: over the 10 MB file limit, under the
/// 25 MB message limit.
fn twenty_megabytes() -> Vec<u8> {
    let mut photo = b"\xff\xd8\xff\xe0\0\x10JFIF\0".to_vec();
    photo.resize(20 * 1024 * 1024, 0x5a);
    let mut body = String::new();
    let encoded = base64_lines(&photo);
    body.push_str(
        "From: Cu Tri <anh.lon@example.net>\r\nTo: hdnd@hongbang.example\r\n\
         Subject: =?UTF-8?Q?Ph=E1=BA=A3n_=C3=A1nh_=E1=BA=A3nh_l=E1=BB=9Bn?=\r\n\
         Message-ID: <big.1@example.net>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nẢnh hiện trường gửi kèm.\r\n--x\r\n\
         Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"IMG_0001.jpg\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n",
    );
    body.push_str(&encoded);
    body.push_str("\r\n--x--\r\n");
    body.into_bytes()
}

fn base64_lines(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + bytes.len() / 38);
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn every_corpus_message_gets_its_case_or_a_clear_outcome_and_none_stops_the_rest(db: TestDb) {
    // Arrange: the hub as `hdnd serve` makes it, with a file store under the default limits.
    let (hub, _clock) = hub_on(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let blobs = Arc::new(FsBlobStore::open(dir.path()).await.unwrap());
    let renderer = Arc::new(Renderer::builtin());
    let notifier = Notifier::new(renderer.clone(), hub.profile().clone(), "hongbang.example")
        .with_reply_addresses(hub.mail_key(), MAILBOX)
        .with_public_url("https://hdnd.hongbang.example");
    let hub = hub
        .with_notifier(Arc::new(notifier))
        .with_files(blobs, FilePolicy::new(FileLimits::default()));
    let store = hub.store().clone();
    let handler = MailHandler::new(hub, renderer, MAILBOX, "hongbang.example");
    let worker = InboundWorker::new(store.clone(), InboundSettings::default())
        .with_handler(InboundSource::Email, Arc::new(handler));
    let garbage = b"\0\0\0\xff\xfe not a mail at all".to_vec();
    let messages: Vec<(&str, Vec<u8>, Outcome)> = vec![
        (
            "outlook-1258.eml",
            corpus("outlook-1258.eml"),
            Outcome::Case(CaseKind::KienNghi, 0),
        ),
        ("garbage", garbage, Outcome::Failed),
        (
            "apple-nfd.eml",
            corpus("apple-nfd.eml"),
            Outcome::Case(CaseKind::YKien, 1),
        ),
        ("auto-reply.eml", corpus("auto-reply.eml"), Outcome::Nothing),
        ("dsn.eml", corpus("dsn.eml"), Outcome::Nothing),
        (
            "dsn-delayed.eml",
            corpus("dsn-delayed.eml"),
            Outcome::Nothing,
        ),
        ("list.eml", corpus("list.eml"), Outcome::Nothing),
        // A tag or a thread naming a case that is not the sender's: a new case.
        (
            "gmail-reply.eml",
            corpus("gmail-reply.eml"),
            Outcome::Case(CaseKind::YKien, 0),
        ),
        (
            "thunderbird-flowed.eml",
            corpus("thunderbird-flowed.eml"),
            Outcome::Case(CaseKind::YKien, 0),
        ),
        (
            "phone-html-only.eml",
            corpus("phone-html-only.eml"),
            Outcome::Case(CaseKind::PhanAnh, 0),
        ),
        (
            "no-id-injection.eml",
            corpus("no-id-injection.eml"),
            Outcome::Case(CaseKind::KienNghi, 0),
        ),
        (
            "malformed.eml",
            corpus("malformed.eml"),
            // The broken base64 is kept as the text it is, which the file store takes as such.
            Outcome::Case(CaseKind::YKien, 1),
        ),
        (
            "forwarded.eml",
            corpus("forwarded.eml"),
            Outcome::Case(CaseKind::KienNghi, 0),
        ),
        (
            "vn-attachments.eml",
            corpus("vn-attachments.eml"),
            Outcome::Case(CaseKind::PhanAnh, 1),
        ),
        (
            "20 MB",
            twenty_megabytes(),
            Outcome::Case(CaseKind::PhanAnh, 0),
        ),
    ];

    // Act: each stored as the listener stores it, then all processed.
    let mut ids = Vec::new();
    for (_, raw, _) in &messages {
        let received = worker
            .receive(NewInbound {
                source: InboundSource::Email,
                key: ExternalKey::smtp(raw),
                payload: raw.clone(),
                sealed: false,
            })
            .await
            .unwrap();
        ids.push(received.id);
    }
    while worker.try_execute_batch().await.unwrap() != InboundStep::Idle {}

    // Assert
    let cases = store.list_cases(&CaseFilter::default()).await.unwrap();
    for ((name, _, want), id) in messages.iter().zip(&ids) {
        let row = store.get_inbound(*id).await.unwrap();
        let case = cases
            .iter()
            .find(|c| c.source_ref.as_deref() == Some(&format!("inbound:{id}")));
        let got = match (row.status, case) {
            (InboundStatus::Done, Some(case)) => Outcome::Case(case.kind, case.attachments.len()),
            (InboundStatus::Done, None) => Outcome::Nothing,
            (InboundStatus::Failed, None) => Outcome::Failed,
            other => panic!("{name}: {other:?} {:?}", row.last_error),
        };
        assert_eq!(got, *want, "{name}: {:?}", row.last_error);
        if *want == Outcome::Failed {
            let why = row.last_error.unwrap();
            let clear = ["not a readable mail message", "names no sender address"];
            assert!(clear.iter().any(|c| why.contains(c)), "{name}: {why}");
            assert!(
                row.payload.is_some(),
                "a failed mail is kept for an operator"
            );
        }
    }
    let titled = |title: &str| cases.iter().find(|c| c.title == title).map(|c| c.id);
    assert!(
        titled("Kiến nghị về rác thải").is_some(),
        "the Fwd: goes from the title"
    );
    assert!(
        cases.iter().all(|c| !c.title.contains(['\r', '\n'])),
        "no subject breaks a line"
    );

    // The refused files are named in their receipts, with why.
    let outbox = store.list_outbox(None, 200).await.unwrap();
    let receipt = |address: &str| {
        outbox
            .iter()
            .find(|r| r.address == address && r.subject.contains("Xác nhận"))
            .unwrap_or_else(|| panic!("no receipt to {address}"))
    };
    let attached = receipt("mai.le@example.com");
    assert!(
        attached.text.contains("ảnh vỉa hè.exe"),
        "{}",
        attached.text
    );
    assert!(
        !attached.text.contains("Đơn phản ánh.pdf"),
        "the PDF was taken"
    );
    let big = receipt("anh.lon@example.net");
    assert!(big.text.contains("IMG_0001.jpg"), "{}", big.text);
    assert!(big.text.contains("10"), "the limit is said: {}", big.text);
    // Nothing answers automatic mail: the Outlook sender's auto-reply gets nothing beyond
    // the receipt of their petition.
    let to = |address: &str| outbox.iter().filter(|r| r.address == address).count();
    assert_eq!(to("an.nguyen@example.com"), 1);
    assert_eq!(to("news@lists.example.org"), 0);
    assert_eq!(to("mailer-daemon@mx.example.net"), 0);

    // The Outlook mail again, by another route (other bytes, the same sender and
    // Message-ID): stored as a row of its own, and a replay.
    let mut again = b"Received: from relay.example.net by mx.hongbang.example\r\n".to_vec();
    again.extend_from_slice(&corpus("outlook-1258.eml"));
    let received = worker
        .receive(NewInbound {
            source: InboundSource::Email,
            key: ExternalKey::smtp(&again),
            payload: again,
            sealed: false,
        })
        .await
        .unwrap();
    assert!(received.fresh, "another delivery is another row");
    while worker.try_execute_batch().await.unwrap() != InboundStep::Idle {}
    assert_eq!(
        store.get_inbound(received.id).await.unwrap().status,
        InboundStatus::Done
    );
    let after = store.list_cases(&CaseFilter::default()).await.unwrap();
    assert_eq!(
        after.len(),
        cases.len(),
        "the same mail files no second case"
    );
    let outbox_after = store.list_outbox(None, 200).await.unwrap();
    assert_eq!(
        outbox_after.len(),
        outbox.len(),
        "and nobody hears of it twice"
    );
}
