//! Internal messages in the chat, through the inbound worker and the outbox, on both
//! databases: `/msg` to a group, the "đã đọc" and "trả lời" buttons under the message, the
//! reply's text sent to the thread, `/messages` with who has read, a replayed update that
//! sends nothing twice, forged and foreign presses, and a chat that is no staff member's
//! hearing what an unknown command hears.

use hdnd_hub::Hub;
use hdnd_hub::delivery::outbox::{Category, OutboxRow};
use hdnd_hub::delivery::{ButtonAction, ChannelKind};
use hdnd_hub::domain::{AuditNote, ContactKind, ContactPoint, NewInbound, Role, Staff};
use serde_json::json;

use crate::bot::{assert_all_done, assert_said, deliver, press_in, raw, replies, worker};
use crate::helpers::{TestDb, contract_tests, notifying_hub, staff};

contract_tests!(
    staff_message_a_group_read_and_reply_from_the_buttons_and_see_who_has_read,
    a_chat_that_is_no_staff_members_hears_what_an_unknown_command_hears,
);

const LAN: i64 = 777_001;
const MINH: i64 = 777_002;
const CITIZEN: i64 = 4242;

/// `text` typed in `chat`'s private chat with the bot.
fn typed(chat: i64, update_id: u32, text: &str) -> NewInbound {
    raw(
        update_id,
        json!({ "update_id": update_id, "message": {
            "message_id": update_id, "date": 1_790_000_000,
            "chat": { "id": chat, "type": "private", "first_name": "Người dùng" },
            "from": { "id": chat, "is_bot": false, "first_name": "Người dùng" },
            "text": text } }),
    )
}

/// A member with `roles`, linked to `chat` when given, with email as the next channel.
async fn member(hub: &Hub, login: &str, roles: &[Role], chat: Option<i64>) -> Staff {
    let mut new = staff(login, roles);
    if let Some(chat) = chat {
        new.contacts.insert(
            0,
            ContactPoint {
                kind: ContactKind::Telegram,
                address: chat.to_string(),
            },
        );
    }
    hub.store()
        .add_staff(new, &AuditNote::operator())
        .await
        .unwrap()
}

async fn message_rows(hub: &Hub) -> Vec<OutboxRow> {
    let mut rows: Vec<_> = hub
        .store()
        .list_outbox(None, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.category == Category::StaffMessage)
        .collect();
    rows.sort_by_key(|r| r.id);
    rows
}

/// The callback data of the `label` button under the first internal message to `chat`.
fn button(rows: &[OutboxRow], chat: i64, label: &str) -> String {
    let row = rows
        .iter()
        .find(|r| r.address == chat.to_string())
        .expect("a message on Telegram");
    let keyboard = &row.telegram.as_ref().unwrap().keyboard;
    let found = keyboard
        .rows
        .iter()
        .flatten()
        .find(|b| b.text.contains(label))
        .unwrap_or_else(|| panic!("no {label} in {keyboard:?}"));
    let ButtonAction::CallbackData(data) = &found.action else {
        panic!("a callback button");
    };
    data.clone()
}

async fn staff_message_a_group_read_and_reply_from_the_buttons_and_see_who_has_read(db: TestDb) {
    // Arrange: a secretary and a deputy on Telegram, a deputy by email only.
    let (hub, _clock) = notifying_hub(&db).await;
    let lan = member(&hub, "lan.tk", &[Role::Secretary], Some(LAN)).await;
    let minh = member(&hub, "minh.db", &[Role::Deputy], Some(MINH)).await;
    let hoa = member(&hub, "hoa.db", &[Role::Deputy], None).await;
    let inbound = worker(&hub);

    // Act 1: how to, a message to the deputies (delivered twice, as a redelivery), a name
    // nobody has.
    let send = typed(LAN, 2, "/msg dai_bieu Họp lúc 14h tại phòng 2.");
    let mut ids = deliver(
        &inbound,
        vec![
            typed(LAN, 1, "/msg"),
            send.clone(),
            send.clone(),
            typed(LAN, 3, "/msg ai.do Chào"),
        ],
    )
    .await;
    ids.extend(deliver(&inbound, vec![send]).await);

    // Assert 1: one message, one notification to each deputy on their own channel.
    let rows = message_rows(&hub).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let to_minh = rows.iter().find(|r| r.address == MINH.to_string()).unwrap();
    assert_eq!(to_minh.channel, ChannelKind::Telegram);
    let to_hoa = rows
        .iter()
        .find(|r| r.channel == ChannelKind::Email)
        .unwrap();
    assert_eq!(to_hoa.address, "hoa.db@council.example");
    assert!(to_hoa.text.contains("Họp lúc 14h tại phòng 2."));
    let read = button(&rows, MINH, "Đã đọc");
    let reply = button(&rows, MINH, "Trả lời");
    let threads = hub.messages_for(lan.id, 10).await.unwrap();
    assert_eq!(threads.len(), 1);
    let root = threads[0].root.id;
    // The same button pointed at another message: its tag no longer matches.
    let forged = read.replacen(&format!(":m{root}:"), &format!(":m{}:", root.0 + 1), 1);
    assert_ne!(forged, read);

    // Act 2: Minh reads (twice), asks to reply and writes it; a forgery; Lan lists.
    ids.extend(
        deliver(
            &inbound,
            vec![
                press_in(MINH, 4, &read),
                press_in(MINH, 5, &read),
                press_in(MINH, 6, &forged),
                press_in(MINH, 7, &reply),
                typed(MINH, 8, "Đã nhận, tôi sẽ có mặt."),
                typed(LAN, 9, "/messages"),
            ],
        )
        .await,
    );

    // Assert 2
    assert_all_done(&hub, ids).await;
    assert_said(
        hub.store(),
        &[
            "Gửi tin nhắn nội bộ",
            "Đã gửi tin nhắn tới các đồng chí Đại biểu (2 người)",
            "Không tìm thấy người nhận «ai.do»",
            "Đã ghi nhận: đồng chí đã đọc tin nhắn",
            "đã được ghi nhận là đã đọc trước đó",
            "không còn hiệu lực",
            &format!("Trả lời tin nhắn #{root}"),
            &format!("Đã gửi trả lời trong chuỗi #{root} tới 2 người"),
            "Tin nhắn nội bộ",
        ],
    )
    .await;
    let said = replies(hub.store()).await;
    // Under "đã đọc", the reply button comes again.
    let keyboard = &said[3].0.telegram.as_ref().unwrap().keyboard;
    assert!(
        keyboard
            .rows
            .iter()
            .flatten()
            .any(|b| b.text.contains("Trả lời"))
    );
    let list = &said[8].1;
    assert!(list.contains(&format!("#{root}")), "{list}");
    assert!(list.contains("1 chưa đọc"), "Minh's reply: {list}");
    assert!(list.contains("đã đọc 1/2 (Cán bộ minh.db)"), "{list}");
    assert!(list.contains("chưa đọc: Cán bộ hoa.db"), "{list}");
    assert!(list.contains("Đã nhận, tôi sẽ có mặt."), "{list}");
    let rows = message_rows(&hub).await;
    assert_eq!(rows.len(), 4, "the reply to Lan and Hoà; nothing twice");
    let mut reply_to: Vec<_> = rows[2..].iter().map(|r| r.address.clone()).collect();
    reply_to.sort();
    assert_eq!(
        reply_to,
        vec![LAN.to_string(), "hoa.db@council.example".to_owned()]
    );
    let receipts = hub.message_receipts(lan.id, root).await.unwrap();
    assert_eq!(
        receipts.read().iter().map(|r| r.staff).collect::<Vec<_>>(),
        vec![minh.id]
    );
    assert_eq!(
        receipts
            .unread()
            .iter()
            .map(|r| r.staff)
            .collect::<Vec<_>>(),
        vec![hoa.id]
    );
    let state = hub.chat_state(&MINH.to_string()).await.unwrap();
    assert!(state.dialogue.is_none(), "the reply ended the dialogue");
    let audit = hub.store().list_audit(50).await.unwrap();
    let count = |action: &str| audit.iter().filter(|a| a.action == action).count();
    assert_eq!((count("message.send"), count("message.reply")), (1, 1));
    assert_eq!(count("message.read"), 1);
}

async fn a_chat_that_is_no_staff_members_hears_what_an_unknown_command_hears(db: TestDb) {
    // Arrange: a member whose message a citizen somehow got the buttons of.
    let (hub, _clock) = notifying_hub(&db).await;
    let lan = member(&hub, "lan.tk", &[Role::Secretary], Some(LAN)).await;
    member(&hub, "minh.db", &[Role::Deputy], Some(MINH)).await;
    hub.send_message(
        lan.id,
        &hdnd_hub::domain::Addressee::Everyone,
        "Lịch trực tuần sau.",
    )
    .await
    .unwrap();
    let read = button(&message_rows(&hub).await, MINH, "Đã đọc");

    // Act
    let ids = deliver(
        &worker(&hub),
        vec![
            typed(CITIZEN, 1, "/xoa"),
            typed(CITIZEN, 2, "/msg all Xin chào"),
            typed(CITIZEN, 3, "/messages"),
            typed(CITIZEN, 4, "/msg #1 Tôi trả lời"),
            press_in(CITIZEN, 5, &read),
        ],
    )
    .await;

    // Assert: the staff commands read as unknown, word for word; nothing was sent.
    assert_all_done(&hub, ids).await;
    let said = replies(hub.store()).await;
    assert_eq!(said.len(), 5);
    assert!(said[0].1.contains("Bot chưa có lệnh này"), "{}", said[0].1);
    for (_, text) in &said[1..4] {
        assert_eq!(text, &said[0].1);
    }
    assert!(said[4].1.contains("dành cho cán bộ"), "{}", said[4].1);
    assert_eq!(
        message_rows(&hub).await.len(),
        1,
        "only Lan's message to Minh"
    );
    assert_eq!(hub.messages_for(lan.id, 10).await.unwrap()[0].messages, 1);
    let receipts = hub
        .message_receipts(
            lan.id,
            hub.messages_for(lan.id, 1).await.unwrap()[0].root.id,
        )
        .await
        .unwrap();
    assert!(receipts.read().is_empty());
}
