//! Whole conversations through the real binary, over HTTP to the fake Bot API on loopback:
//! what a citizen sees and what the council's store holds afterwards.

use std::sync::Arc;

use hdnd_hub::SystemClock;
use serde_json::{Value, json};

use crate::bot_transport::{FakeBotApi, Instance, message_update, wait_for};
use crate::helpers::{TestDb, contract_tests};

contract_tests!(
    a_citizen_files_a_report_with_a_photo_and_a_refused_file_is_explained,
    a_citizen_who_blocked_the_bot_hears_by_email_and_the_chat_is_marked_unreachable,
);

const CHAT: i64 = 5151;

fn press(update_id: u32, data: &str) -> String {
    json!({ "update_id": update_id, "callback_query": {
        "id": format!("cb{update_id}"), "chat_instance": "-5",
        "from": { "id": CHAT, "is_bot": false, "first_name": "Cử tri" },
        "data": data } })
    .to_string()
}

/// A message carrying `body` (a photo or a document, with a caption or not).
fn file_message(update_id: u32, body: Value) -> String {
    let mut message = json!({
        "message_id": update_id, "date": 1_790_000_000,
        "chat": { "id": CHAT, "type": "private", "first_name": "Cử tri" },
        "from": { "id": CHAT, "is_bot": false, "first_name": "Cử tri" },
    });
    for (key, value) in body.as_object().unwrap() {
        message[key] = value.clone();
    }
    json!({ "update_id": update_id, "message": message }).to_string()
}

fn photo(file_id: &str, size: usize) -> Value {
    json!([
        { "file_id": format!("{file_id}-small"), "file_unique_id": "s", "width": 90, "height": 60, "file_size": 900 },
        { "file_id": file_id, "file_unique_id": "b", "width": 1280, "height": 960, "file_size": size },
    ])
}

/// A small PNG, by its bytes (the store sniffs the type; Telegram's photos are JPEG, but
/// any accepted image shows the path).
fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    bytes.extend_from_slice(b"den-ngo-12");
    bytes
}

async fn a_citizen_files_a_report_with_a_photo_and_a_refused_file_is_explained(db: TestDb) {
    // Arrange
    let fake = FakeBotApi::start(None).await;
    let app = Instance::start(&db.url, &fake.url);
    fake.file("photo-big", &png());
    fake.file("setup-exe", b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0");
    let sent = || fake.calls_of("sendMessage");
    let texts = || -> Vec<String> {
        sent()
            .iter()
            .map(|c| c.body["text"].as_str().unwrap_or_default().to_owned())
            .collect()
    };

    // Act: the dialogue, with a program and a file too large for the limits on the way.
    let steps = [
        message_update(1, CHAT, "/new"),
        press(2, "n:kind:phan_anh"),
        press(3, "n:skip"),
        press(4, "n:skip"),
        file_message(
            5,
            json!({ "photo": photo("photo-big", png().len()),
                "caption": "Đèn chiếu sáng ngõ 12 hỏng đã hai tuần, tối đi lại rất nguy hiểm." }),
        ),
        file_message(
            6,
            json!({ "document": { "file_id": "setup-exe", "file_unique_id": "x",
                "file_name": "setup.exe", "file_size": 16 } }),
        ),
        file_message(
            7,
            json!({ "document": { "file_id": "huge-pdf", "file_unique_id": "h",
                "file_name": "bien-ban.pdf", "file_size": 50_000_000 } }),
        ),
        press(8, "n:skip"),
        press(9, "n:skip"),
        press(10, "n:skip"),
        press(11, "n:skip"),
        press(12, "n:consent:no"),
        press(13, "n:confirm"),
    ];
    for (i, update) in steps.into_iter().enumerate() {
        let answered = sent().len();
        fake.push(u32::try_from(i + 1).unwrap(), update);
        wait_for("the bot's answer", &[&app], async || {
            sent().len() > answered
        })
        .await;
    }
    wait_for("the case's code", &[&app], async || {
        texts()
            .iter()
            .any(|t| t.contains("Mã hồ sơ") || t.contains("mã hồ sơ"))
    })
    .await;

    // Assert: the photo is on the case, with its caption as the content; the program and the
    // oversized file were refused with the reason, and the oversized one never downloaded.
    let store = db.open(Arc::new(SystemClock)).await;
    let cases = store.list_cases(&Default::default()).await.unwrap();
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert!(
        case.content.starts_with("Đèn chiếu sáng ngõ 12"),
        "{}",
        case.content
    );
    assert_eq!(case.attachments.len(), 1, "{:?}", case.attachments.len());
    assert_eq!(case.attachments[0].content_type, "image/png");
    assert_eq!(case.attachments[0].size_bytes, png().len() as i64);
    let texts = texts();
    let files_step = &texts[4];
    assert!(
        files_step.contains("Gửi kèm ảnh hoặc tài liệu?"),
        "{files_step}"
    );
    assert!(files_step.contains("📎"), "{files_step}");
    assert!(
        texts[5].contains("Loại tệp này không được chấp nhận"),
        "{}",
        texts[5]
    );
    assert!(texts[6].contains("Tệp quá lớn"), "{}", texts[6]);
    let fetched: Vec<String> = fake
        .calls_of("getFile")
        .iter()
        .map(|c| c.body["file_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fetched, ["photo-big", "setup-exe"]);
    let confirm = &texts[11];
    assert!(confirm.contains("Tệp đính kèm: 1"), "{confirm}");
    app.assert_log_is_clean();
}

/// Bot API's answer to a chat that blocked the bot.
const BLOCKED: &str =
    r#"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#;

async fn a_citizen_who_blocked_the_bot_hears_by_email_and_the_chat_is_marked_unreachable(
    db: TestDb,
) {
    // Arrange: a petition from a chat, with an email address beside it; the chat has blocked
    // the bot since.
    let (hub, _clock) = crate::helpers::notifying_hub(&db).await;
    let fake = FakeBotApi::start(None).await;
    fake.fail("sendMessage", 403, BLOCKED);
    let settings = hdnd_bot::TelegramSettings {
        token: Some(crate::bot_transport::TOKEN.to_owned()),
        api_url: Some(fake.url.clone()),
        ..hdnd_bot::TelegramSettings::default()
    };
    let telegram = hdnd_bot::TelegramChannel::new(&settings).unwrap().unwrap();
    let email = Arc::new(crate::outbox::FakeChannel::default());
    let worker = hdnd_hub::delivery::worker::Worker::new(
        hub.store().clone(),
        vec![Arc::new(telegram), email.clone()],
        hdnd_hub::delivery::worker::DeliverySettings::default(),
    );
    let mut case = crate::helpers::petition();
    case.contacts.insert(
        0,
        hdnd_hub::domain::ContactPoint {
            kind: hdnd_hub::domain::ContactKind::Telegram,
            address: CHAT.to_string(),
        },
    );

    // Act: the receipt is tried on Telegram over HTTP, refused for good, then sent by email.
    let code = hub.submit_case(case).await.unwrap().case.code;
    for _ in 0..3 {
        worker.try_execute_batch().await.unwrap();
    }

    // Assert
    assert_eq!(fake.calls_of("sendMessage").len(), 1);
    let subjects = email.subjects();
    let receipts: Vec<_> = subjects
        .iter()
        .filter(|s| s.contains(&format!("[{code}]")))
        .collect();
    assert_eq!(receipts.len(), 1, "{subjects:?}");
    let chat = hdnd_hub::domain::NormalisedContact::parse(
        hdnd_hub::domain::ContactKind::Telegram,
        &CHAT.to_string(),
    )
    .unwrap();
    let state = hub
        .store()
        .find_citizen_contact(&chat)
        .await
        .unwrap()
        .expect("the chat is the citizen's contact")
        .state;
    assert!(
        matches!(state, hdnd_hub::domain::ContactState::Unreachable { .. }),
        "{state:?}"
    );
}
