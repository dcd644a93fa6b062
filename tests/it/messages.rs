//! Internal messages through the hub, on both databases: whom each addressee reaches, one
//! notification per recipient on their channels (email for anyone without Telegram) with the
//! signed buttons or the read link, replies to the thread's participants, read receipts that
//! only the sender sees, the email's read link over real HTTP, a replay that sends nothing
//! twice, and no body, address or denouncer's data in a log line or `Debug` output.

use std::sync::Arc;

use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::outbox::{Category, OutboxRow};
use hdnd_hub::domain::{
    Addressee, AuditNote, CaseKind, ContactKind, ContactPoint, DenouncerIdentity, MessageId,
    ReadVia, Role, Staff, StaffAction,
};
use hdnd_hub::notification::ButtonAction;
use hdnd_hub::storage::{Completed, InboundCompletion, InboundEffect};
use hdnd_hub::{DomainError, Error, Hub};

use crate::helpers::{
    TestDb, captured_logs, claimed_update, contract_tests, hub_on, petition, staff,
};
use crate::staff_link::deactivate;

contract_tests!(
    a_message_to_a_role_reaches_each_active_member_once_on_their_channels_and_is_audited,
    every_addressee_names_the_colleagues_it_should_and_never_the_sender,
    a_reply_goes_to_the_threads_participants_and_marks_the_replied_message_read,
    reading_is_idempotent_and_only_the_sender_sees_who_has_read,
    threads_are_listed_newest_first_with_what_the_member_has_not_read,
    the_email_read_link_opens_the_message_for_its_recipient_over_http_and_nothing_else_does,
    a_replayed_message_sends_nothing_twice,
    no_body_address_or_denouncers_data_reaches_a_log_line_or_debug_output,
);

const PORTAL: &str = "https://hdnd.example.org";

/// A hub whose notifier renders internal messages with their buttons and read links, as
/// `hdnd serve` does.
async fn messaging_hub(db: &TestDb) -> Hub {
    let (hub, _clock) = hub_on(db).await;
    let notifier = hdnd_hub::delivery::notify::Notifier::new(
        Arc::new(hdnd_hub::delivery::render::Renderer::builtin()),
        hub.profile().clone(),
        "hongbang.example",
    )
    .with_public_url(PORTAL)
    .with_button_key(hub.button_key());
    hub.with_notifier(Arc::new(notifier))
}

/// A member with `roles`, by email, and on Telegram first when `chat` is given.
async fn member(hub: &Hub, login: &str, roles: &[Role], chat: Option<&str>) -> Staff {
    let mut new = staff(login, roles);
    if let Some(chat) = chat {
        new.contacts.insert(
            0,
            ContactPoint {
                kind: ContactKind::Telegram,
                address: chat.to_owned(),
            },
        );
    }
    hub.store()
        .add_staff(new, &AuditNote::operator())
        .await
        .unwrap()
}

/// A deputy of the deputies' group, outside the office (`van-phong`).
async fn deputy(hub: &Hub, login: &str) -> Staff {
    let mut new = staff(login, &[Role::Deputy]);
    new.unit = Some("to-dai-bieu-1".to_owned());
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

/// The read token in the email of `row`.
fn read_token(row: &OutboxRow) -> String {
    let at = row.text.find("/tin-noi-bo/").expect("a read link") + "/tin-noi-bo/".len();
    row.text[at..at + 64].to_owned()
}

fn invalid_field(e: &Error) -> Option<&'static str> {
    match e {
        Error::Domain(DomainError::Invalid { field, .. }) => Some(field),
        _ => None,
    }
}

async fn a_message_to_a_role_reaches_each_active_member_once_on_their_channels_and_is_audited(
    db: TestDb,
) {
    // Arrange: a secretary; two deputies, one on Telegram, one by email only; an inactive
    // deputy; a lead.
    let hub = messaging_hub(&db).await;
    let lan = member(&hub, "lan.tk", &[Role::Secretary], None).await;
    let minh = member(&hub, "minh.db", &[Role::Deputy], Some("700100201")).await;
    let hoa = member(&hub, "hoa.db", &[Role::Deputy], None).await;
    let gone = member(&hub, "cu.db", &[Role::Deputy], None).await;
    deactivate(&db, &gone.login).await;
    member(&hub, "hung.ld", &[Role::Lead], None).await;

    // Act
    let sent = hub
        .send_message(
            lan.id,
            &Addressee::Role(Role::Deputy),
            "Họp lúc 14h tại phòng 2.",
        )
        .await
        .unwrap();

    // Assert: one row each to Minh (Telegram, email as the fallback) and Hoà (email).
    assert!(sent.fresh);
    assert_eq!(sent.recipients, 2);
    assert!(sent.message.is_root());
    let rows = message_rows(&hub).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let to_minh = rows.iter().find(|r| r.address == "700100201").unwrap();
    assert_eq!(to_minh.channel, ChannelKind::Telegram);
    assert_eq!(to_minh.address, "700100201");
    assert_eq!(to_minh.fallback.len(), 1);
    assert_eq!(to_minh.fallback[0].channel, ChannelKind::Email);
    assert_eq!(
        to_minh.dedupe_key,
        format!("message:{}:staff:{}", sent.message.id, minh.id)
    );
    let telegram = to_minh.telegram.as_ref().unwrap();
    let text = telegram.parts.join("");
    assert!(text.contains("Họp lúc 14h tại phòng 2."), "{text}");
    assert!(text.contains("Cán bộ lan.tk"), "{text}");
    assert!(text.contains("các đồng chí Đại biểu"), "{text}");
    let buttons: Vec<_> = telegram.keyboard.rows.iter().flatten().collect();
    assert_eq!(buttons.len(), 2);
    for (button, (label, action)) in buttons.iter().zip([
        ("👁 Đã đọc", StaffAction::Read),
        ("↩️ Trả lời", StaffAction::Reply),
    ]) {
        assert_eq!(button.text, label);
        let ButtonAction::CallbackData(data) = &button.action else {
            panic!("a callback button");
        };
        assert!(data.len() <= 64);
        let read = hub.read_staff_button(data).unwrap();
        assert_eq!(
            (read.action, read.message_id()),
            (action, Some(sent.message.id))
        );
    }
    let to_hoa = rows.iter().find(|r| r.address != "700100201").unwrap();
    assert_eq!(to_hoa.channel, ChannelKind::Email);
    assert_eq!(to_hoa.address, "hoa.db@council.example");
    assert!(to_hoa.telegram.is_none());
    assert!(
        to_hoa
            .subject
            .starts_with(&format!("[#{}] ", sent.message.id))
    );
    assert!(
        to_hoa.text.contains(&format!("{PORTAL}/tin-noi-bo/")),
        "{}",
        to_hoa.text
    );
    assert_ne!(read_token(to_hoa), read_token(to_minh), "a token each");
    for row in &rows {
        assert!(!row.dedupe_key.contains('@') && !row.dedupe_key.contains("700100201"));
    }
    let receipts = hub.message_receipts(lan.id, sent.message.id).await.unwrap();
    let mut ids: Vec<_> = receipts.recipients.iter().map(|r| r.staff).collect();
    ids.sort();
    assert_eq!(ids, vec![minh.id, hoa.id]);
    let audit = hub.store().list_audit(10).await.unwrap();
    let sent_row = audit.iter().find(|a| a.action == "message.send").unwrap();
    assert_eq!(sent_row.staff, Some(lan.id));
    assert_eq!(sent_row.subject, format!("message:{}", sent.message.id));
    assert_eq!(
        sent_row.detail.as_deref(),
        Some("role:dai_bieu; 2 recipients")
    );
    assert!(
        audit
            .iter()
            .all(|a| !a.detail.as_deref().unwrap_or("").contains("Họp"))
    );
}

async fn every_addressee_names_the_colleagues_it_should_and_never_the_sender(db: TestDb) {
    // Arrange: an office of three and a deputy elsewhere.
    let (hub, _clock) = hub_on(&db).await;
    let lan = member(&hub, "lan.tk", &[Role::Secretary], None).await;
    let tam = member(&hub, "tam.cao", &[Role::Intake], None).await;
    let kim = member(&hub, "kim.vo", &[Role::Specialist], None).await;
    let minh = deputy(&hub, "minh.db").await;
    let recipients = |addressee: Addressee| {
        let hub = hub.clone();
        async move {
            let change = hub
                .plan_message(lan.id, &addressee, "Chào các đồng chí.")
                .await?;
            let mut ids: Vec<_> = change.recipients.iter().map(|r| r.staff).collect();
            ids.sort();
            Ok::<_, Error>((change.audience.as_stored(), ids))
        }
    };

    // Act and assert: each addressee, as typed.
    let login = Addressee::LoginOrUnit("tam.cao".to_owned());
    assert_eq!(
        recipients(login).await.unwrap(),
        (format!("staff:{}", tam.id), vec![tam.id])
    );
    let at = Addressee::Login("kim.vo".to_owned());
    assert_eq!(recipients(at).await.unwrap().1, vec![kim.id]);
    let unit = Addressee::Unit("van-phong".to_owned());
    assert_eq!(
        recipients(unit).await.unwrap(),
        ("unit:van-phong".to_owned(), vec![tam.id, kim.id]),
        "the sender is in the unit but does not hear from themself"
    );
    let bare_unit = Addressee::LoginOrUnit("to-dai-bieu-1".to_owned());
    assert_eq!(recipients(bare_unit).await.unwrap().1, vec![minh.id]);
    assert_eq!(
        recipients(Addressee::Everyone).await.unwrap(),
        ("all".to_owned(), vec![tam.id, kim.id, minh.id])
    );
    let role = recipients(Addressee::Role(Role::Deputy)).await.unwrap();
    assert_eq!(role, ("role:dai_bieu".to_owned(), vec![minh.id]));
    // Refusals: nobody by that name, nobody but the sender, an empty or long body.
    for unknown in [
        Addressee::LoginOrUnit("nobody".to_owned()),
        Addressee::Login("nobody".to_owned()),
        Addressee::Unit("phong-khong-co".to_owned()),
        Addressee::Thread(MessageId(999)),
    ] {
        let e = recipients(unknown).await.unwrap_err();
        assert_eq!(invalid_field(&e), Some("to"), "{e}");
    }
    let own = recipients(Addressee::Login("lan.tk".to_owned()))
        .await
        .unwrap_err();
    assert_eq!(invalid_field(&own), Some("recipients"));
    let nobody = recipients(Addressee::Role(Role::Lead)).await.unwrap_err();
    assert_eq!(invalid_field(&nobody), Some("recipients"));
    for body in ["   ", &"x".repeat(3001)] {
        let e = hub
            .plan_message(lan.id, &Addressee::Everyone, body)
            .await
            .unwrap_err();
        assert_eq!(invalid_field(&e), Some("body"));
    }
    // An inactive account sends nothing.
    deactivate(&db, &kim.login).await;
    let e = hub
        .plan_message(kim.id, &Addressee::Everyone, "Xin chào")
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Domain(DomainError::Forbidden(_))), "{e}");
    assert_eq!(
        recipients(Addressee::Everyone).await.unwrap().1,
        vec![tam.id, minh.id]
    );
}

async fn a_reply_goes_to_the_threads_participants_and_marks_the_replied_message_read(db: TestDb) {
    // Arrange: Lan writes to Tâm and Kim; Minh is not in the thread.
    let hub = messaging_hub(&db).await;
    let lan = member(&hub, "lan.tk", &[Role::Secretary], None).await;
    let tam = member(&hub, "tam.cao", &[Role::Intake], Some("700100202")).await;
    let kim = member(&hub, "kim.vo", &[Role::Specialist], None).await;
    let minh = deputy(&hub, "minh.db").await;
    let root = hub
        .send_message(
            lan.id,
            &Addressee::Unit("van-phong".to_owned()),
            "Nộp báo cáo tuần.",
        )
        .await
        .unwrap()
        .message;

    // Act: Tâm replies by button's id; Lan answers the reply with `#<root>`.
    let reply = hub
        .reply_to_message(tam.id, root.id, "Đã nộp.")
        .await
        .unwrap();
    let again = hub
        .send_message(lan.id, &Addressee::Thread(reply.message.id), "Cảm ơn.")
        .await
        .unwrap();
    let outsider = hub.reply_to_message(minh.id, root.id, "Tôi nữa").await;

    // Assert
    assert_eq!(reply.message.thread, root.id);
    assert!(!reply.message.is_root());
    assert_eq!(reply.recipients, 2, "Lan and Kim");
    let mut to: Vec<_> = hub
        .store()
        .list_message_recipients(reply.message.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.staff)
        .collect();
    to.sort();
    assert_eq!(to, vec![lan.id, kim.id]);
    assert_eq!(
        again.message.thread, root.id,
        "a reply's reply stays in the root's thread"
    );
    assert_eq!(again.recipients, 2, "Tâm and Kim");
    let root_receipts = hub.message_receipts(lan.id, root.id).await.unwrap();
    let tam_read = root_receipts
        .recipients
        .iter()
        .find(|r| r.staff == tam.id)
        .unwrap();
    assert_eq!(tam_read.via, Some(ReadVia::Telegram), "replying is reading");
    assert!(
        root_receipts
            .recipients
            .iter()
            .any(|r| r.staff == kim.id && r.read_at.is_none())
    );
    assert_eq!(invalid_field(&outsider.unwrap_err()), Some("to"));
    // A reply's mail threads under the root's Message-ID, for the same recipient.
    let rows = message_rows(&hub).await;
    let to_kim: Vec<_> = rows
        .iter()
        .filter(|r| r.address == "kim.vo@council.example")
        .collect();
    assert_eq!(to_kim.len(), 3);
    let root_id = to_kim[0].message_id.clone().unwrap();
    assert_eq!(
        root_id,
        format!("<msg.{}.s{}@hongbang.example>", root.id, kim.id)
    );
    for later in &to_kim[1..] {
        assert_eq!(later.in_reply_to.as_deref(), Some(root_id.as_str()));
        assert!(later.subject.starts_with(&format!("[#{}] ", root.id)));
    }
    let audit = hub.store().list_audit(20).await.unwrap();
    assert_eq!(
        audit.iter().filter(|a| a.action == "message.reply").count(),
        2
    );
}

async fn reading_is_idempotent_and_only_the_sender_sees_who_has_read(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let lan = member(&hub, "lan.tk", &[Role::Secretary], None).await;
    let tam = member(&hub, "tam.cao", &[Role::Intake], None).await;
    let kim = member(&hub, "kim.vo", &[Role::Specialist], None).await;
    let minh = deputy(&hub, "minh.db").await;
    let sent = hub
        .send_message(
            lan.id,
            &Addressee::Unit("van-phong".to_owned()),
            "Họp giao ban 8h.",
        )
        .await
        .unwrap()
        .message;

    // Act
    let first = hub.mark_message_read(tam.id, sent.id).await.unwrap();
    let second = hub.mark_message_read(tam.id, sent.id).await.unwrap();
    let planned_again = hub
        .plan_mark_read(tam.id, sent.id, ReadVia::Telegram)
        .await
        .unwrap();
    let outsider = hub.mark_message_read(minh.id, sent.id).await;
    let the_sender = hub.mark_message_read(lan.id, sent.id).await;

    // Assert
    assert!(first && !second);
    assert!(planned_again.already_read);
    assert!(
        outsider.is_err() && the_sender.is_err(),
        "only a recipient reads it"
    );
    let receipts = hub.message_receipts(lan.id, sent.id).await.unwrap();
    let read: Vec<_> = receipts.read().iter().map(|r| r.staff).collect();
    let unread: Vec<_> = receipts.unread().iter().map(|r| r.staff).collect();
    assert_eq!((read, unread), (vec![tam.id], vec![kim.id]));
    assert_eq!(receipts.read()[0].name, "Cán bộ tam.cao");
    for other in [tam.id, minh.id] {
        let e = hub.message_receipts(other, sent.id).await.unwrap_err();
        assert_eq!(
            invalid_field(&e),
            Some("to"),
            "only the sender sees receipts"
        );
    }
    let audit = hub.store().list_audit(20).await.unwrap();
    let reads: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "message.read")
        .collect();
    assert_eq!(reads.len(), 1, "read once");
    assert_eq!(reads[0].staff, Some(tam.id));
    assert_eq!(reads[0].detail.as_deref(), Some("telegram"));
}

async fn threads_are_listed_newest_first_with_what_the_member_has_not_read(db: TestDb) {
    // Arrange: two threads Tâm receives, one Tâm starts; Tâm reads one message.
    let (hub, clock) = hub_on(&db).await;
    let lan = member(&hub, "lan.tk", &[Role::Secretary], None).await;
    let tam = member(&hub, "tam.cao", &[Role::Intake], None).await;
    let kim = member(&hub, "kim.vo", &[Role::Specialist], None).await;
    let to_tam = Addressee::Login("tam.cao".to_owned());
    let first = hub
        .send_message(lan.id, &to_tam, "Một")
        .await
        .unwrap()
        .message;
    clock.advance(chrono::Duration::minutes(1));
    let second = hub
        .send_message(lan.id, &Addressee::Everyone, "Hai")
        .await
        .unwrap()
        .message;
    clock.advance(chrono::Duration::minutes(1));
    hub.reply_to_message(lan.id, first.id, "Một nữa")
        .await
        .unwrap();
    clock.advance(chrono::Duration::minutes(1));
    let own = hub
        .send_message(tam.id, &Addressee::Login("kim.vo".to_owned()), "Ba")
        .await
        .unwrap()
        .message;
    hub.mark_message_read(tam.id, second.id).await.unwrap();
    hub.mark_message_read(kim.id, own.id).await.unwrap();

    // Act
    let threads = hub.messages_for(tam.id, 10).await.unwrap();
    let kims = hub.messages_for(kim.id, 10).await.unwrap();

    // Assert
    let roots: Vec<_> = threads.iter().map(|t| t.root.id).collect();
    assert_eq!(
        roots,
        vec![own.id, first.id, second.id],
        "newest activity first"
    );
    assert_eq!(threads[0].unread, 0);
    let own_receipts = threads[0].own.as_ref().expect("Tâm's own message");
    assert_eq!(own_receipts.read().len(), 1);
    assert_eq!(threads[0].addressed_to.as_deref(), Some("Cán bộ kim.vo"));
    assert_eq!((threads[1].messages, threads[1].unread), (2, 2));
    assert_eq!(threads[1].last.body, "Một nữa");
    assert_eq!(threads[1].root_sender, "Cán bộ lan.tk");
    assert!(threads[1].own.is_none());
    assert_eq!(threads[2].unread, 0);
    assert_eq!(kims.len(), 2, "Kim's: Tâm's message and the one to all");
    assert_eq!(hub.messages_for(tam.id, 1).await.unwrap().len(), 1);
}

async fn the_email_read_link_opens_the_message_for_its_recipient_over_http_and_nothing_else_does(
    db: TestDb,
) {
    // Arrange: a message to Hoà, who has only email; the portal on a real socket.
    let hub = messaging_hub(&db).await;
    let lan = member(&hub, "lan.tk", &[Role::Secretary], None).await;
    let hoa = member(&hub, "hoa.db", &[Role::Deputy], None).await;
    let sent = hub
        .send_message(
            lan.id,
            &Addressee::Login("hoa.db".to_owned()),
            "Tài liệu <kỳ họp> & lịch.\nXem trước.",
        )
        .await
        .unwrap()
        .message;
    let token = read_token(&message_rows(&hub).await[0]);
    let state = hdnd_web::AppState {
        hub: hub.clone(),
        views: Arc::new(hdnd_web::Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        axum::serve(listener, hdnd_web::router(state))
            .await
            .unwrap();
    });

    // Act
    let opened = crate::http::get(&addr, &format!("/tin-noi-bo/{token}")).await;
    let again = crate::http::get(&addr, &format!("/tin-noi-bo/{token}?lang=en")).await;
    let unknown = crate::http::get(&addr, &format!("/tin-noi-bo/{}", "ab".repeat(32))).await;
    let malformed = crate::http::get(&addr, "/tin-noi-bo/abc").await;

    // Assert
    assert_eq!(opened.status, 200, "{}", opened.body);
    assert!(
        opened.body.contains("Tài liệu &lt;kỳ họp&gt; &amp; lịch."),
        "{}",
        opened.body
    );
    assert!(opened.body.contains("<p>Xem trước.</p>"));
    assert!(opened.body.contains("Cán bộ lan.tk"));
    assert!(
        opened.body.contains("Đã ghi nhận: đồng chí đã đọc"),
        "{}",
        opened.body
    );
    assert_eq!(opened.header("cache-control"), Some("no-store"));
    assert_eq!(again.status, 200);
    assert!(
        again.body.contains("marked as read before"),
        "{}",
        again.body
    );
    for refused in [&unknown, &malformed] {
        assert_eq!(refused.status, 404);
        assert!(
            refused.body.contains("Không tìm thấy trang"),
            "{}",
            refused.body
        );
        assert!(!refused.body.contains("kỳ họp"));
    }
    let receipts = hub.message_receipts(lan.id, sent.id).await.unwrap();
    assert_eq!(receipts.recipients[0].staff, hoa.id);
    assert_eq!(receipts.recipients[0].via, Some(ReadVia::Email));
    let audit = hub.store().list_audit(20).await.unwrap();
    let reads: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "message.read")
        .collect();
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].detail.as_deref(), Some("email"));
}

async fn a_replayed_message_sends_nothing_twice(db: TestDb) {
    // Arrange: a message planned once, as the bot plans it from an update.
    let hub = messaging_hub(&db).await;
    let lan = member(&hub, "lan.tk", &[Role::Secretary], None).await;
    member(&hub, "tam.cao", &[Role::Intake], None).await;
    member(&hub, "kim.vo", &[Role::Specialist], None).await;
    let change = hub
        .plan_message(lan.id, &Addressee::Everyone, "Nghỉ lễ từ thứ Sáu.")
        .await
        .unwrap();
    let row = claimed_update(&hub, 1).await;
    let completion = |change| InboundCompletion {
        effect: InboundEffect::Message(Box::new(change)),
        ..InboundCompletion::nothing()
    };

    // Act: applied with the update's done, then the same change again under the same source,
    // and the update completed a second time.
    let done = hub
        .store()
        .complete_inbound(&row, completion(change.clone()))
        .await
        .unwrap();
    let mut replayed = change.clone();
    replayed.source_ref = Some(format!("inbound:{}", row.id));
    let again = hub.store().add_message(&replayed).await.unwrap();
    let late = hub
        .store()
        .complete_inbound(&row, completion(change))
        .await
        .unwrap();

    // Assert
    assert!(matches!(done, Completed::Done { .. }));
    assert!(matches!(late, Completed::LeaseLost), "the row is done");
    assert!(!again.fresh);
    assert_eq!(again.recipients, 2);
    assert_eq!(
        message_rows(&hub).await.len(),
        2,
        "one notification each, once"
    );
    assert_eq!(hub.messages_for(lan.id, 10).await.unwrap().len(), 1);
    let audit = hub.store().list_audit(20).await.unwrap();
    assert_eq!(
        audit.iter().filter(|a| a.action == "message.send").count(),
        1
    );
}

async fn no_body_address_or_denouncers_data_reaches_a_log_line_or_debug_output(db: TestDb) {
    // Arrange: a denunciation on file; staff message each other about work.
    let logs = captured_logs();
    let hub = messaging_hub(&db).await;
    let lan = member(&hub, "lan.tk", &[Role::Secretary], Some("700100299")).await;
    let tam = member(&hub, "tam.cao", &[Role::Intake], Some("700100298")).await;
    let mut denunciation = petition();
    denunciation.kind = CaseKind::ToCao;
    denunciation.citizen_name = None;
    denunciation.contacts = Vec::new();
    denunciation.publication_consent = false;
    denunciation.denouncer = Some(DenouncerIdentity {
        full_name: "Đỗ Văn Kín".to_owned(),
        phone: Some("+84912000777".to_owned()),
        email: Some("kin.do@example.org".to_owned()),
        address: Some("Số 9 ngõ Bí Mật".to_owned()),
        id_number: None,
        chosen_contact: None,
    });
    hub.submit_case(denunciation).await.unwrap();
    let body = "Nội dung riêng tư 7Q2X về lịch họp.";

    // Act
    let change = hub
        .plan_message(lan.id, &Addressee::Login("tam.cao".to_owned()), body)
        .await
        .unwrap();
    let sent = hub.store().add_message(&change).await.unwrap();
    hub.reply_to_message(tam.id, sent.message.id, "Đã rõ 7Q2X.")
        .await
        .unwrap();
    let threads = hub.messages_for(tam.id, 10).await.unwrap();
    let token = read_token(&message_rows(&hub).await[0]);
    let opened = hub.open_message_by_token(&token).await.unwrap().unwrap();

    // Assert
    let debug = format!("{change:?} {sent:?} {threads:?} {opened:?}");
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    for secret in [
        "7Q2X",
        "700100299",
        "700100298",
        "lan.tk@council.example",
        "tam.cao@council.example",
        "Cán bộ lan.tk",
        token.as_str(),
        "Đỗ Văn Kín",
        "kin.do@example.org",
        "Bí Mật",
    ] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
        assert!(!logged.contains(secret), "{secret} logged");
    }
    for row in message_rows(&hub).await {
        let all = format!("{} {} {:?}", row.subject, row.text, row.telegram);
        assert!(!all.contains("Đỗ Văn Kín") && !all.contains("Bí Mật"));
        assert!(!row.dedupe_key.contains("7Q2X"));
    }
    assert!(logged.contains(&format!("message {} sent by staff", sent.message.id)));
}
