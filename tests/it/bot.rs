//! The bot's answers to stored Telegram updates, through the inbound worker and the outbox and,
//! for the first answer, over HTTP to a fake Bot API on loopback: `/start`, `/help` and `/lang`
//! (remembered, and the linked citizen's language too), a duplicated update answered once,
//! and hostile or foreign input that breaks nothing. Each story runs on both databases.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use hdnd_bot::{TelegramChannel, TelegramHandler, TelegramSettings};
use hdnd_hub::delivery::outbox::{Category, OutboxRow};
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::delivery::worker::{DeliverySettings, Worker};
use hdnd_hub::domain::{
    ContactKind, ContactPoint, ExternalKey, InboundSource, InboundStatus, Language, NewInbound,
};
use hdnd_hub::inbound::{InboundSettings, InboundStep, InboundWorker};
use hdnd_hub::{Hub, Store};
use serde_json::{Value, json};

use crate::helpers::{TestDb, contract_tests, hub_on, notifying_hub, petition, with_notifier};

contract_tests!(
    a_citizen_files_a_petition_through_the_dialogue_and_hears_its_code,
    a_dialogue_goes_on_after_a_restart_on_another_instance,
    a_denunciation_by_telegram_is_sealed_from_the_kind_on,
    a_complaint_keeps_the_name_and_address_the_law_needs,
    mycases_and_status_show_own_cases_in_full_published_ones_publicly_and_nothing_else,
    a_citizen_answers_the_councils_question_from_the_chat_once,
    withdrawing_asks_to_confirm_and_withdraws_only_the_chats_own_open_case,
    a_flooding_chat_gets_one_polite_reply_then_silence_until_the_minute_is_over,
    start_help_and_lang_answer_in_the_chats_language_which_is_remembered,
    a_duplicated_update_is_answered_once,
    lang_becomes_the_linked_citizens_language,
    groups_edits_stickers_long_hostile_text_and_garbage_break_nothing,
    a_citizen_rates_an_answer_from_its_button_and_not_satisfied_reopens_it,
    a_published_case_is_followed_and_unfollowed_from_the_chat,
    the_portals_deep_link_follows_a_published_case,
    the_phone_comes_from_the_senders_own_shared_contact_and_not_someone_elses,
    start_with_a_staff_link_links_the_chat_once_and_greets_the_member,
    intake_staff_accept_and_reject_new_cases_from_their_buttons_once_and_forgeries_do_nothing,
);

pub(crate) const CHAT: i64 = 4242;

pub(crate) fn worker(hub: &Hub) -> InboundWorker {
    InboundWorker::new(hub.store().clone(), InboundSettings::default()).with_handler(
        InboundSource::Telegram,
        Arc::new(TelegramHandler::new(
            hub.clone(),
            Arc::new(Renderer::builtin()),
        )),
    )
}

fn message(chat: Value, body: Value) -> Value {
    let mut message = json!({
        "message_id": 10,
        "date": 1_790_000_000,
        "chat": chat,
        "from": { "id": CHAT, "is_bot": false, "first_name": "Cử tri" },
    });
    for (key, value) in body.as_object().unwrap() {
        message[key] = value.clone();
    }
    message
}

fn private() -> Value {
    json!({ "id": CHAT, "type": "private", "first_name": "Cử tri" })
}

pub(crate) fn text(update_id: u32, text: &str) -> NewInbound {
    raw(
        update_id,
        json!({ "update_id": update_id, "message": message(private(), json!({ "text": text })) }),
    )
}

pub(crate) fn press(update_id: u32, data: &str) -> NewInbound {
    raw(
        update_id,
        json!({ "update_id": update_id, "callback_query": {
            "id": format!("cb{update_id}"),
            "from": { "id": CHAT, "is_bot": false, "first_name": "Cử tri" },
            "chat_instance": "ci-1",
            "data": data,
        } }),
    )
}

pub(crate) fn raw(update_id: u32, update: Value) -> NewInbound {
    NewInbound {
        source: InboundSource::Telegram,
        key: ExternalKey::telegram(123_456, update_id),
        payload: serde_json::to_vec(&update).unwrap(),
        sealed: false,
    }
}

/// Stores each update, then processes everything due; the rows' ids.
pub(crate) async fn deliver(worker: &InboundWorker, updates: Vec<NewInbound>) -> Vec<i64> {
    let mut ids = Vec::new();
    for update in updates {
        ids.push(worker.receive(update).await.unwrap().id);
    }
    while worker.try_execute_batch().await.unwrap() != InboundStep::Idle {}
    ids
}

/// Every one of the rows `ids` was processed.
pub(crate) async fn assert_all_done(hub: &Hub, ids: Vec<i64>) {
    for id in ids {
        let row = hub.store().get_inbound(id).await.unwrap();
        assert_eq!(row.status, InboundStatus::Done, "{:?}", row.last_error);
    }
}

/// The bot's replies, oldest first, are exactly as many as `said` and each holds its phrase.
pub(crate) async fn assert_said(store: &Arc<dyn Store>, said: &[&str]) {
    let replies = replies(store).await;
    assert_eq!(replies.len(), said.len(), "{replies:?}");
    for ((_, text), phrase) in replies.iter().zip(said) {
        assert!(text.contains(phrase), "{phrase:?} not in {text}");
    }
}

/// The replies in the outbox, oldest first, as the text of their Telegram parts.
pub(crate) async fn replies(store: &Arc<dyn Store>) -> Vec<(OutboxRow, String)> {
    let mut rows = store.list_outbox(None, 100).await.unwrap();
    rows.sort_by_key(|r| r.id);
    rows.into_iter()
        .filter(|r| r.category == Category::Conversation)
        .map(|r| {
            let text = r
                .telegram
                .as_ref()
                .map(|t| t.parts.join("\n"))
                .unwrap_or_default();
            (r, text)
        })
        .collect()
}

/// A Bot API on loopback that records every call and answers each with a sent message.
pub(crate) async fn bot_api() -> (String, Arc<Mutex<Vec<(String, Value)>>>) {
    type Seen = Arc<Mutex<Vec<(String, Value)>>>;
    async fn any(State(seen): State<Seen>, uri: axum::http::Uri, body: Bytes) -> axum::Json<Value> {
        let method = uri.path().rsplit('/').next().unwrap_or_default().to_owned();
        seen.lock()
            .unwrap()
            .push((method, serde_json::from_slice(&body).unwrap_or(Value::Null)));
        axum::Json(
            json!({ "ok": true, "result": { "message_id": 99, "date": 1_790_000_000,
            "chat": { "id": CHAT, "type": "private", "first_name": "Cử tri" }, "text": "…" } }),
        )
    }
    let seen: Seen = Arc::default();
    let app = Router::new().fallback(any).with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

async fn start_help_and_lang_answer_in_the_chats_language_which_is_remembered(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let inbound = worker(&hub);
    let (url, calls) = bot_api().await;
    let settings = TelegramSettings {
        token: Some("123456:TEST".to_owned()),
        api_url: Some(url),
        ..TelegramSettings::default()
    };
    let channel = TelegramChannel::new(&settings).unwrap().unwrap();
    let delivery = Worker::new(
        hub.store().clone(),
        vec![Arc::new(channel)],
        DeliverySettings::default(),
    );

    // Act: /start, delivered over HTTP; then /lang and /help.
    deliver(&inbound, vec![text(1, "/start")]).await;
    delivery.try_execute_batch().await.unwrap();
    deliver(&inbound, vec![text(2, "/lang"), text(3, "/help@hdnd_bot")]).await;

    // Assert
    let sent = calls.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].0.eq_ignore_ascii_case("sendMessage"),
        "{}",
        sent[0].0
    );
    assert_eq!(sent[0].1["chat_id"], json!(CHAT));
    assert_eq!(sent[0].1["parse_mode"], json!("HTML"));
    let welcome = sent[0].1["text"].as_str().unwrap();
    assert!(welcome.starts_with("Xin chào"), "{welcome}");
    assert!(welcome.contains("Hội đồng nhân dân phường Hồng Bàng"));
    assert!(
        welcome.contains("không phải buổi tiếp công dân trực tuyến"),
        "{welcome}"
    );
    let replies = replies(hub.store()).await;
    assert_eq!(replies.len(), 3);
    assert!(
        replies[1].1.starts_with("Switched to English"),
        "{}",
        replies[1].1
    );
    assert!(
        replies[2]
            .1
            .contains("/lang — Switch between Vietnamese and English"),
        "{}",
        replies[2].1
    );
    assert!(
        replies
            .iter()
            .all(|(r, _)| r.address == CHAT.to_string() && r.urgent)
    );
    let state = hub.chat_state(&CHAT.to_string()).await.unwrap();
    assert_eq!(state.language, Language::En);
    // And back: /lang vi.
    deliver(&inbound, vec![text(4, "/lang vi")]).await;
    assert_eq!(
        hub.chat_state(&CHAT.to_string()).await.unwrap().language,
        Language::Vi
    );
}

async fn a_duplicated_update_is_answered_once(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let inbound = worker(&hub);

    // Act: Telegram redelivers an update it thinks was not acknowledged.
    deliver(&inbound, vec![text(7, "/start"), text(7, "/start")]).await;
    deliver(&inbound, vec![text(7, "/start")]).await;

    // Assert
    assert_eq!(replies(hub.store()).await.len(), 1);
}

async fn lang_becomes_the_linked_citizens_language(db: TestDb) {
    // Arrange: a citizen who filed a case from this chat, in Vietnamese.
    let (hub, _clock) = hub_on(&db).await;
    let mut case = petition();
    case.contacts = vec![ContactPoint {
        kind: ContactKind::Telegram,
        address: CHAT.to_string(),
    }];
    let created = hub.submit_case(case).await.unwrap();
    let citizen = created.case.citizen.expect("linked to a citizen");
    let inbound = worker(&hub);

    // Act
    deliver(&inbound, vec![text(1, "/lang en")]).await;

    // Assert: every later message to them is English, on every channel.
    let citizen = hub.store().get_citizen(citizen).await.unwrap();
    assert_eq!(citizen.language, Language::En);
    let case = hub.store().get_case(created.case.id).await.unwrap();
    assert_eq!(case.language, Language::En);
}

async fn groups_edits_stickers_long_hostile_text_and_garbage_break_nothing(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let inbound = worker(&hub);
    let group =
        json!({ "id": -1_001_234_567_890_i64, "type": "supergroup", "title": "Tổ dân phố 5" });
    let hostile = format!(
        "<b>x</b><script>alert(1)</script>\u{202e}{}",
        "đường ".repeat(1_700)
    );
    let updates = vec![
        raw(
            1,
            json!({ "update_id": 1, "message": message(group, json!({ "text": "/start" })) }),
        ),
        raw(
            2,
            json!({ "update_id": 2, "edited_message": message(private(), json!({ "text": "/start", "edit_date": 1_790_000_100 })) }),
        ),
        raw(
            3,
            json!({ "update_id": 3, "message": message(private(), json!({ "sticker": {
            "file_id": "f", "file_unique_id": "u", "type": "regular", "width": 512, "height": 512,
            "is_animated": false, "is_video": false } })) }),
        ),
        text(4, &hostile),
        text(5, "/xoa_het"),
        NewInbound {
            payload: b"{not json".to_vec(),
            ..text(6, "")
        },
    ];

    // Act
    let ids = deliver(&inbound, updates).await;

    // Assert: the group and the edit are ignored; the sticker gets the pointer to /new; the
    // long text becomes the content of a case the person may go on with (the kind question),
    // quoting nothing back; the unknown command is named as such; the garbage is kept as
    // failed, with a reason that quotes nothing either.
    let replies = replies(hub.store()).await;
    let texts: Vec<_> = replies.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(
        texts[0].contains("chỉ đọc được tin nhắn chữ"),
        "{}",
        texts[0]
    );
    assert!(texts[1].contains("muốn gửi loại nào"), "{}", texts[1]);
    assert!(texts[2].contains("chưa có lệnh này"), "{}", texts[2]);
    assert!(
        texts
            .iter()
            .all(|t| !t.contains("script") && !t.contains("đường đường"))
    );
    let garbage = hub.store().get_inbound(ids[5]).await.unwrap();
    assert_eq!(garbage.status, InboundStatus::Failed);
    let reason = garbage.last_error.as_deref().unwrap();
    assert!(reason.starts_with("not a Telegram update"), "{reason}");
    for id in &ids[..5] {
        let row = hub.store().get_inbound(*id).await.unwrap();
        assert_eq!(row.status, InboundStatus::Done, "{row:?}");
    }
}

async fn a_citizen_files_a_petition_through_the_dialogue_and_hears_its_code(db: TestDb) {
    // Arrange
    let (hub, _clock) = notifying_hub(&db).await;
    let inbound = worker(&hub);

    // Act: the whole dialogue, with a stale button and a bad phone on the way.
    deliver(
        &inbound,
        vec![
            text(1, "/new"),
            press(2, "n:kind:kien_nghi"),
            press(3, "n:kind:to_cao"),
            press(4, "n:area:minh-khai"),
            press(5, "n:skip"),
            text(6, "Đèn chiếu sáng ngõ 12 hỏng đã hai tuần, đề nghị sửa."),
            press(60, "n:skip"),
            press(7, "n:skip"),
            text(8, "gọi tôi"),
            text(9, "0912 345 678"),
            text(90, "an.nguyen@example.com"),
            press(10, "n:consent:yes"),
            press(11, "n:confirm"),
        ],
    )
    .await;

    // Assert: one case, filed from this chat, as the person said it.
    let cases = hub.store().list_cases(&Default::default()).await.unwrap();
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(case.kind, hdnd_hub::domain::CaseKind::KienNghi);
    assert_eq!(case.area.as_deref(), Some("minh-khai"));
    assert_eq!(case.category, None);
    assert!(case.content.starts_with("Đèn chiếu sáng ngõ 12"));
    assert!(case.publication_consent);
    assert_eq!(case.channel, hdnd_hub::domain::SourceChannel::Telegram);
    assert!(
        case.contacts
            .iter()
            .any(|c| c.kind == ContactKind::Telegram && c.address == CHAT.to_string())
    );
    assert!(case.contacts.iter().any(|c| c.kind == ContactKind::Phone));
    assert!(
        case.contacts
            .iter()
            .any(|c| c.kind == ContactKind::Email && c.address == "an.nguyen@example.com")
    );
    // The stale kind button and the bad phone were refused politely, nothing moved.
    let replies = replies(hub.store()).await;
    assert!(
        replies[2].1.contains("Xin chọn một nút"),
        "{}",
        replies[2].1
    );
    assert!(
        replies[8].1.contains("Số điện thoại chưa đúng"),
        "{}",
        replies[8].1
    );
    // The code reaches the chat, in Telegram's own rendering.
    let rows = hub.store().list_outbox(None, 100).await.unwrap();
    let receipt = rows
        .iter()
        .find(|r| r.category == Category::CaseUpdate && r.address == CHAT.to_string())
        .expect("the citizen is told the code");
    let receipt_text = receipt.telegram.as_ref().unwrap().parts.join("");
    assert!(receipt_text.contains(case.code.as_str()), "{receipt_text}");
    assert_eq!(
        hub.chat_state(&CHAT.to_string()).await.unwrap().dialogue,
        None
    );
}

async fn a_dialogue_goes_on_after_a_restart_on_another_instance(db: TestDb) {
    // Arrange: the dialogue starts on one instance.
    let (hub, clock) = hub_on(&db).await;
    deliver(
        &worker(&hub),
        vec![text(1, "/new"), press(2, "n:kind:y_kien")],
    )
    .await;

    // Act: another process, its own connections, goes on.
    let other = with_notifier(Hub::new(
        db.open(clock.clone()).await,
        hub.profile().clone(),
    ));
    deliver(
        &worker(&other),
        vec![
            press(3, "n:skip"),
            press(4, "n:skip"),
            text(
                5,
                "Đề nghị công khai lịch tiếp công dân trên bảng tin tổ dân phố.",
            ),
            press(50, "n:skip"),
            press(6, "n:skip"),
            press(7, "n:skip"),
            press(70, "n:skip"),
            press(8, "n:consent:no"),
            press(9, "n:confirm"),
        ],
    )
    .await;

    // Assert
    let cases = other.store().list_cases(&Default::default()).await.unwrap();
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].kind, hdnd_hub::domain::CaseKind::YKien);
    assert!(!cases[0].publication_consent);
}

async fn a_denunciation_by_telegram_is_sealed_from_the_kind_on(db: TestDb) {
    // Arrange
    let (hub, _clock) = notifying_hub(&db).await;
    let inbound = worker(&hub);

    // Act
    let ids = deliver(
        &inbound,
        vec![
            text(1, "/new"),
            press(2, "n:kind:to_cao"),
            press(3, "n:skip"),
            press(4, "n:skip"),
            text(
                5,
                "Cán bộ địa chính phường nhận tiền khi làm thủ tục cho dân.",
            ),
            press(50, "n:skip"),
            text(6, "Trần Thị Bình"),
            text(7, "Số 5 ngõ 7, phường Hồng Bàng"),
            text(70, "001099012345"),
            press(8, "n:skip"),
            press(80, "n:skip"),
            press(9, "n:confirm"),
        ],
    )
    .await;

    // Assert: the case holds no name or contact outside the sealed identity.
    let cases = hub.store().list_cases(&Default::default()).await.unwrap();
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(case.kind, hdnd_hub::domain::CaseKind::ToCao);
    assert!(case.citizen_name.is_none() && case.contacts.is_empty() && case.citizen.is_none());
    // Every message from the kind on is purged once processed; the first is not secret.
    assert!(
        hub.store()
            .get_inbound(ids[0])
            .await
            .unwrap()
            .payload
            .is_some()
    );
    for id in &ids[1..] {
        let row = hub.store().get_inbound(*id).await.unwrap();
        assert!(
            row.payload.is_none(),
            "row {id} kept what the denouncer typed"
        );
    }
    // The denouncer hears of it on this chat, whose id is nowhere in the outbox.
    let rows = hub.store().list_outbox(None, 100).await.unwrap();
    let to_denouncer: Vec<_> = rows.iter().filter(|r| r.sealed).collect();
    assert_eq!(to_denouncer.len(), 1, "{rows:?}");
    assert!(
        rows.iter()
            .filter(|r| r.category != Category::Conversation)
            .all(|r| !r.address.contains(&CHAT.to_string()))
    );
    let state = hub.chat_state(&CHAT.to_string()).await.unwrap();
    assert_eq!(state.dialogue, None, "the draft with the name is gone");
}

async fn a_complaint_keeps_the_name_and_address_the_law_needs(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;

    // Act: a complaint started by a message sent outside any dialogue.
    deliver(
        &worker(&hub),
        vec![
            text(
                1,
                "Tôi khiếu nại quyết định thu hồi 40 m² đất vườn của UBND phường.",
            ),
            press(2, "n:kind:khieu_nai"),
            press(3, "n:skip"),
            press(4, "n:skip"),
            press(50, "n:skip"),
            press(5, "n:skip"),
            text(6, "Vũ Văn Khánh"),
            press(7, "n:skip"),
            text(8, "Số 9 ngõ 3, phường Hồng Bàng"),
            press(81, "n:skip"),
            text(82, "12345"),
            text(83, "001 099 012 345"),
            press(9, "n:skip"),
            press(90, "n:skip"),
            press(10, "n:consent:no"),
            press(11, "n:confirm"),
        ],
    )
    .await;

    // Assert: the first message is the content; name and address are required and kept.
    let replies = replies(hub.store()).await;
    assert!(replies[3].1.contains("Gửi kèm ảnh"), "{}", replies[3].1);
    assert!(replies[4].1.contains("Họ và tên"), "{}", replies[4].1);
    assert!(
        replies[5].1.contains("Thông tin này bắt buộc"),
        "{}",
        replies[5].1
    );
    assert!(
        replies[7].1.contains("Thông tin này bắt buộc"),
        "{}",
        replies[7].1
    );
    let cases = hub.store().list_cases(&Default::default()).await.unwrap();
    assert_eq!(cases.len(), 1);
    let case = &cases[0];
    assert_eq!(case.kind, hdnd_hub::domain::CaseKind::KhieuNai);
    assert!(case.content.contains("40 m²"));
    assert_eq!(case.citizen_name.as_deref(), Some("Vũ Văn Khánh"));
    assert_eq!(
        case.citizen_address.as_deref(),
        Some("Số 9 ngõ 3, phường Hồng Bàng")
    );
    assert!(
        replies[8].1.contains("Số định danh cá nhân"),
        "{}",
        replies[8].1
    );
    assert!(
        replies[9].1.contains("Thông tin này bắt buộc"),
        "{}",
        replies[9].1
    );
    assert!(replies[10].1.contains("gồm 12 chữ số"), "{}", replies[10].1);
    assert_eq!(case.citizen_id_number.as_deref(), Some("001099012345"));
    let debug = format!("{case:?}");
    assert!(!debug.contains("ngõ 3"), "the address stays out of Debug");
    assert!(
        !debug.contains("012345"),
        "the ID number stays out of Debug"
    );
}

async fn mycases_and_status_show_own_cases_in_full_published_ones_publicly_and_nothing_else(
    db: TestDb,
) {
    // Arrange: a petition and a denunciation from this chat; a neighbour's published case and
    // a neighbour's unpublished one.
    let (hub, _clock) = hub_on(&db).await;
    let on_chat = ContactPoint {
        kind: ContactKind::Telegram,
        address: CHAT.to_string(),
    };
    let mut mine = petition();
    mine.contacts = vec![on_chat.clone()];
    let mine = hub.submit_case(mine).await.unwrap().case;
    let mut secret = crate::identity_canary::denunciation();
    secret.denouncer.as_mut().unwrap().chosen_contact = Some(on_chat);
    let secret = hub.submit_case(secret).await.unwrap().case;
    let published = hub.submit_case(petition()).await.unwrap().case;
    let hidden = hub.submit_case(petition()).await.unwrap().case;
    let secretary = hub
        .store()
        .add_staff(
            crate::helpers::staff("lan.tk", &[hdnd_hub::domain::Role::Secretary]),
            &hdnd_hub::domain::AuditNote::operator(),
        )
        .await
        .unwrap();
    hub.publish_case(
        published.id,
        secretary.id,
        "Sửa đèn chiếu sáng ngõ 12",
        "Kiến nghị sửa đèn chiếu sáng đã hỏng.",
    )
    .await
    .unwrap();
    let inbound = worker(&hub);

    // Act
    deliver(
        &inbound,
        vec![
            text(1, "/mycases"),
            text(2, &format!("/status {}", mine.code)),
            text(3, &format!("/status {}", published.code)),
            text(4, &format!("/status {}", hidden.code)),
            text(5, &format!("/status {}", secret.code)),
            text(6, "/status ../etc"),
        ],
    )
    .await;

    // Assert
    let replies = replies(hub.store()).await;
    let t: Vec<_> = replies.iter().map(|(_, t)| t.clone()).collect();
    assert!(
        t[0].contains(mine.code.as_str()) && t[0].contains(secret.code.as_str()),
        "{}",
        t[0]
    );
    assert!(
        !t[0].contains(published.code.as_str()),
        "only the chat's own cases"
    );
    let secret_line = t[0]
        .lines()
        .find(|l| l.contains(secret.code.as_str()))
        .unwrap();
    assert!(
        !secret_line.contains("Tố cáo"),
        "a denunciation shows code and status only"
    );
    assert!(
        t[1].contains("Đèn chiếu sáng ngõ 12 phố Hoàng Văn Thụ hỏng"),
        "{}",
        t[1]
    );
    assert!(
        t[1].contains("Dự kiến trả lời trước: 10/12/2026"),
        "{}",
        t[1]
    );
    assert!(t[2].contains("Sửa đèn chiếu sáng ngõ 12"), "{}", t[2]);
    assert!(!t[2].contains("Phạm Thị Hoa") && !t[2].contains("phố Hoàng Văn Thụ hỏng"));
    assert!(t[3].contains("Không tìm thấy"), "{}", t[3]);
    assert!(
        t[4].contains(secret.code.as_str()) && !t[4].contains("thu tiền"),
        "{}",
        t[4]
    );
    assert!(t[5].contains("Mã hồ sơ có dạng"), "{}", t[5]);
}

async fn a_citizen_answers_the_councils_question_from_the_chat_once(db: TestDb) {
    // Arrange: the council accepted the citizen's petition and asked a question.
    let (hub, _clock) = notifying_hub(&db).await;
    let mut case = petition();
    case.contacts = vec![ContactPoint {
        kind: ContactKind::Telegram,
        address: CHAT.to_string(),
    }];
    let case = hub.submit_case(case).await.unwrap().case;
    let intake = hub
        .store()
        .add_staff(
            crate::helpers::staff("ha.tn", &[hdnd_hub::domain::Role::Intake]),
            &hdnd_hub::domain::AuditNote::operator(),
        )
        .await
        .unwrap();
    let me = hdnd_hub::domain::Actor::Staff(intake.id);
    use hdnd_hub::domain::Status;
    use hdnd_hub::domain::progress::TransitionRequest;
    hub.transition(case.id, TransitionRequest::to(Status::Accepted, me))
        .await
        .unwrap();
    let asked = hub
        .transition(
            case.id,
            TransitionRequest::to(Status::NeedsInfo, me).with_text("Xin cho biết số nhà."),
        )
        .await
        .unwrap();
    let inbound = worker(&hub);

    // Act: a message in the chat, then "this is my answer", pressed twice (Telegram
    // redelivers the same update).
    deliver(
        &inbound,
        vec![
            text(1, "Số nhà 12, ngõ 34 phố Hoàng Văn Thụ."),
            press(2, "n:choose:answer"),
            press(2, "n:choose:answer"),
        ],
    )
    .await;

    // Assert: back to accepted, the answer on the timeline, once; no date moved.
    let now = hub.store().get_case(case.id).await.unwrap();
    assert_eq!(now.progress.status, Status::Accepted);
    assert_eq!(now.progress.accepted_on, asked.progress.accepted_on);
    assert_eq!(now.progress.clocks, asked.progress.clocks);
    let timeline = hub.store().get_timeline(case.id).await.unwrap();
    let answers: Vec<_> = timeline
        .iter()
        .filter(|e| e.note.as_deref() == Some("Số nhà 12, ngõ 34 phố Hoàng Văn Thụ."))
        .collect();
    assert_eq!(answers.len(), 1);
    let replies = replies(hub.store()).await;
    assert!(
        replies[0].1.contains("đang chờ ông/bà trả lời"),
        "{}",
        replies[0].1
    );
    assert!(
        replies[1].1.contains(case.code.as_str()),
        "{}",
        replies[1].1
    );
    assert_eq!(replies.len(), 2);
    assert_eq!(
        hub.chat_state(&CHAT.to_string()).await.unwrap().dialogue,
        None
    );
}

async fn withdrawing_asks_to_confirm_and_withdraws_only_the_chats_own_open_case(db: TestDb) {
    // Arrange: the chat's own petition and a neighbour's.
    let (hub, _clock) = hub_on(&db).await;
    let mut mine = petition();
    mine.contacts = vec![ContactPoint {
        kind: ContactKind::Telegram,
        address: CHAT.to_string(),
    }];
    let mine = hub.submit_case(mine).await.unwrap().case;
    let other = hub.submit_case(petition()).await.unwrap().case;
    let inbound = worker(&hub);

    // Act
    deliver(
        &inbound,
        vec![
            text(1, &format!("/withdraw {}", other.code)),
            text(2, &format!("/withdraw {}", mine.code)),
            press(3, "n:withdraw:yes"),
            press(3, "n:withdraw:yes"),
            press(4, "n:withdraw:yes"),
        ],
    )
    .await;

    // Assert: the neighbour's is untouched and not even confirmed to exist; the own case is
    // withdrawn once, after the confirmation.
    use hdnd_hub::domain::Status;
    assert_eq!(
        hub.store()
            .get_case(other.id)
            .await
            .unwrap()
            .progress
            .status,
        Status::Received
    );
    let replies = replies(hub.store()).await;
    let now = hub.store().get_case(mine.id).await.unwrap();
    assert_eq!(now.progress.status, Status::Withdrawn, "{replies:?}");
    let t: Vec<_> = replies.iter().map(|(_, t)| t.as_str()).collect();
    assert!(t[0].contains("Không tìm thấy"), "{}", t[0]);
    assert!(t[1].contains("muốn rút hồ sơ"), "{}", t[1]);
    let buttons = serde_json::to_value(&replies[1].0.telegram.as_ref().unwrap().keyboard).unwrap();
    assert!(buttons.to_string().contains("n:withdraw:yes"), "{buttons}");
    assert!(buttons.to_string().contains("n:cancel"), "{buttons}");
    assert!(t[2].contains("Đã rút hồ sơ"), "{}", t[2]);
    // The later press belongs to a dialogue that ended: it moves nothing.
    assert_eq!(t.len(), 4, "{t:?}");
    let withdrawals = hub
        .store()
        .get_timeline(mine.id)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.to == Some(Status::Withdrawn))
        .count();
    assert_eq!(withdrawals, 1);
}

async fn a_flooding_chat_gets_one_polite_reply_then_silence_until_the_minute_is_over(db: TestDb) {
    // Arrange: at most 3 messages a minute.
    let (hub, clock) = hub_on(&db).await;
    let handler =
        TelegramHandler::new(hub.clone(), Arc::new(Renderer::builtin())).with_flood_limit(3);
    let inbound = InboundWorker::new(hub.store().clone(), InboundSettings::default())
        .with_handler(InboundSource::Telegram, Arc::new(handler));

    // Act: six messages within the minute, then one after it.
    let burst = (1..=6).map(|n| text(n, "/help")).collect();
    let ids = deliver(&inbound, burst).await;
    clock.advance(chrono::Duration::seconds(61));
    deliver(&inbound, vec![text(7, "/help")]).await;

    // Assert: three answers, one request to slow down, silence, then answers again; every
    // message is kept.
    let replies = replies(hub.store()).await;
    let t: Vec<_> = replies.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(t.len(), 5, "{t:?}");
    assert!(t[..3].iter().all(|t| t.contains("/help")), "{t:?}");
    assert!(t[3].contains("quá nhiều tin nhắn"), "{}", t[3]);
    assert!(t[4].contains("/help"), "{}", t[4]);
    for id in ids {
        let row = hub.store().get_inbound(id).await.unwrap();
        assert_eq!(row.status, InboundStatus::Done);
        assert!(row.payload.is_some(), "kept");
    }
}

/// A petition filed from this chat, accepted, in progress with `clerk`, and answered.
async fn answered_from_chat(hub: &Hub, publish: bool) -> hdnd_hub::domain::Case {
    use hdnd_hub::domain::progress::TransitionRequest;
    use hdnd_hub::domain::{Actor, AuditNote, Role, Status};
    let mut case = petition();
    case.contacts = vec![ContactPoint {
        kind: ContactKind::Telegram,
        address: CHAT.to_string(),
    }];
    let case = hub.submit_case(case).await.unwrap().case;
    let clerk = hub
        .store()
        .add_staff(
            crate::helpers::staff("ha.tn", &[Role::Intake, Role::Specialist, Role::Secretary]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let me = Actor::Staff(clerk.id);
    if publish {
        hub.publish_case(case.id, clerk.id, "Đèn ngõ 12", "Đèn hỏng hai tuần.")
            .await
            .unwrap();
    }
    hub.transition(case.id, TransitionRequest::to(Status::Accepted, me))
        .await
        .unwrap();
    hub.transition(
        case.id,
        TransitionRequest::to(Status::InProgress, me).with_assignee(clerk.id),
    )
    .await
    .unwrap();
    hub.transition(
        case.id,
        TransitionRequest::to(Status::Answered, me).with_text("Điện lực đã thay bóng đèn."),
    )
    .await
    .unwrap()
}

async fn a_citizen_rates_an_answer_from_its_button_and_not_satisfied_reopens_it(db: TestDb) {
    // Arrange: the answer reached the chat with its button.
    let (hub, _clock) = notifying_hub(&db).await;
    let case = answered_from_chat(&hub, false).await;
    let rows = hub.store().list_outbox(None, 100).await.unwrap();
    let pushed = rows
        .iter()
        .filter(|r| r.address == CHAT.to_string() && r.category == Category::CaseUpdate)
        .find_map(|r| {
            let keyboard = &r.telegram.as_ref()?.keyboard;
            (!keyboard.is_empty()).then(|| keyboard.clone())
        })
        .expect("the answer carries a button");
    let hdnd_hub::delivery::ButtonAction::CallbackData(data) = &pushed.rows[0][0].action else {
        panic!("a callback button");
    };

    // Act: the button, two stars, a comment, "not satisfied"; the last press delivered twice.
    let ids = deliver(
        &worker(&hub),
        vec![
            press(1, data),
            press(2, "n:rate:2"),
            text(3, "Đèn vẫn tắt vào buổi tối."),
            press(4, "n:rate_send:again"),
            press(4, "n:rate_send:again"),
        ],
    )
    .await;

    // Assert: the case is back in progress, with one rating on its timeline.
    assert_all_done(&hub, ids).await;
    let now = hub.store().get_case(case.id).await.unwrap();
    assert_eq!(now.progress.status, hdnd_hub::domain::Status::InProgress);
    let timeline = hub.store().get_timeline(case.id).await.unwrap();
    let rated = timeline
        .iter()
        .filter(|e| e.kind == hdnd_hub::domain::EventKind::Rated)
        .count();
    assert_eq!(rated, 1);
    let replies = replies(hub.store()).await;
    assert!(
        replies[0].1.contains("đánh giá câu trả lời"),
        "{}",
        replies[0].1
    );
    let last = &replies.last().unwrap().1;
    assert!(last.contains("đã mở lại hồ sơ"), "{last}");
    assert_eq!(
        hub.chat_state(&CHAT.to_string()).await.unwrap().dialogue,
        None
    );
}

async fn a_published_case_is_followed_and_unfollowed_from_the_chat(db: TestDb) {
    // Arrange: a neighbour's published petition.
    let (hub, _clock) = notifying_hub(&db).await;
    let published = hub.submit_case(petition()).await.unwrap().case;
    let secretary = hub
        .store()
        .add_staff(
            crate::helpers::staff("lan.tk", &[hdnd_hub::domain::Role::Secretary]),
            &hdnd_hub::domain::AuditNote::operator(),
        )
        .await
        .unwrap();
    hub.publish_case(published.id, secretary.id, "Đèn ngõ 12", "Đèn hỏng.")
        .await
        .unwrap();
    let hidden = hub.submit_case(petition()).await.unwrap().case;

    // Act
    let ids = deliver(
        &worker(&hub),
        vec![
            text(1, &format!("/follow {}", published.code)),
            text(2, &format!("/follow {}", published.code)),
            text(3, &format!("/follow {}", hidden.code)),
            text(4, "/follow khong-phai-ma"),
            text(5, "/unfollow"),
            text(6, "/unfollow"),
        ],
    )
    .await;

    // Assert
    assert_all_done(&hub, ids).await;
    assert_said(
        hub.store(),
        &[
            "Đã theo dõi hồ sơ",
            "đang theo dõi",
            "Chỉ theo dõi được hồ sơ đã công khai",
            "Mã hồ sơ có dạng",
            "Đã thôi theo dõi",
            "không theo dõi",
        ],
    )
    .await;
    let contact =
        hdnd_hub::domain::NormalisedContact::parse(ContactKind::Telegram, &CHAT.to_string())
            .unwrap();
    assert!(hub.followed_cases(&contact).await.unwrap().is_empty());
}

async fn the_portals_deep_link_follows_a_published_case(db: TestDb) {
    // Arrange: the parameter a case page's "Theo dõi qua Telegram" link carries.
    let (hub, _clock) = notifying_hub(&db).await;
    let published = hub.submit_case(petition()).await.unwrap().case;
    let secretary = hub
        .store()
        .add_staff(
            crate::helpers::staff("lan.tk", &[hdnd_hub::domain::Role::Secretary]),
            &hdnd_hub::domain::AuditNote::operator(),
        )
        .await
        .unwrap();
    hub.publish_case(published.id, secretary.id, "Đèn ngõ 12", "Đèn hỏng.")
        .await
        .unwrap();
    let parameter = published.code.follow_parameter();

    // Act
    let ids = deliver(&worker(&hub), vec![text(1, &format!("/start {parameter}"))]).await;

    // Assert
    assert!(
        parameter
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
            && parameter.len() <= 64,
        "Telegram's limits on a start parameter: {parameter}"
    );
    assert_all_done(&hub, ids).await;
    assert_said(hub.store(), &["Đã theo dõi hồ sơ"]).await;
    let contact =
        hdnd_hub::domain::NormalisedContact::parse(ContactKind::Telegram, &CHAT.to_string())
            .unwrap();
    assert_eq!(hub.followed_cases(&contact).await.unwrap().len(), 1);
}

async fn the_phone_comes_from_the_senders_own_shared_contact_and_not_someone_elses(db: TestDb) {
    // Arrange: a dialogue at the phone step.
    let (hub, _clock) = hub_on(&db).await;
    let contact = |update_id: u32, user_id: i64, phone: &str| {
        raw(
            update_id,
            json!({ "update_id": update_id, "message": message(private(), json!({ "contact": {
                "phone_number": phone, "first_name": "Cử tri", "user_id": user_id } })) }),
        )
    };

    // Act
    deliver(
        &worker(&hub),
        vec![
            text(1, "/new"),
            press(2, "n:kind:y_kien"),
            press(3, "n:skip"),
            press(4, "n:skip"),
            text(5, "Đề nghị lắp thêm đèn ở ngõ 8 phố Lê Lợi."),
            press(6, "n:skip"),
            press(7, "n:skip"),
            contact(8, 777, "+84 912 000 111"),
            contact(9, CHAT, "+84912345678"),
            press(10, "n:skip"),
            press(11, "n:consent:no"),
            press(12, "n:confirm"),
        ],
    )
    .await;

    // Assert: the neighbour's card was refused, the sender's own number kept.
    let replies = replies(hub.store()).await;
    assert!(
        replies[7].1.contains("danh bạ của người khác"),
        "{}",
        replies[7].1
    );
    let cases = hub.store().list_cases(&Default::default()).await.unwrap();
    assert_eq!(cases.len(), 1);
    let phones: Vec<_> = cases[0]
        .contacts
        .iter()
        .filter(|c| c.kind == ContactKind::Phone)
        .map(|c| c.address.as_str())
        .collect();
    assert_eq!(phones.len(), 1);
    assert!(phones[0].ends_with("912345678"), "{phones:?}");
}

async fn start_with_a_staff_link_links_the_chat_once_and_greets_the_member(db: TestDb) {
    // Arrange: an operator issued a link for a secretary.
    let (hub, _clock) = hub_on(&db).await;
    hub.store()
        .add_staff(
            crate::helpers::staff("lan.tk", &[hdnd_hub::domain::Role::Secretary]),
            &hdnd_hub::domain::AuditNote::operator(),
        )
        .await
        .unwrap();
    let token = hub
        .issue_staff_link(hdnd_hub::access::Caller::Operator, "lan.tk")
        .await
        .unwrap();
    let start = format!("/start {}", token.expose());
    let elsewhere = |update_id: u32| {
        let chat = json!({ "id": 9191, "type": "private", "first_name": "Khác" });
        raw(
            update_id,
            json!({ "update_id": update_id, "message": message(chat, json!({ "text": start })) }),
        )
    };

    // Act: the link from the member's chat, then the same link from another chat.
    deliver(&worker(&hub), vec![text(1, &start), elsewhere(2)]).await;

    // Assert
    let member = hub.staff_by_chat(&CHAT.to_string()).await.unwrap();
    assert_eq!(member.map(|m| m.login), Some("lan.tk".to_owned()));
    assert!(hub.staff_by_chat("9191").await.unwrap().is_none());
    let replies = replies(hub.store()).await;
    assert!(
        replies[0].1.contains("đã được liên kết"),
        "{}",
        replies[0].1
    );
    assert!(
        replies[1].1.contains("Mã liên kết không đúng"),
        "{}",
        replies[1].1
    );
    assert!(
        replies
            .iter()
            .all(|(_, text)| !text.contains(token.expose())),
        "the token is never echoed"
    );
}

pub(crate) const STAFF_CHAT: i64 = 777_000;

/// A button pressed in `chat`'s private chat with the bot.
pub(crate) fn press_in(chat: i64, update_id: u32, data: &str) -> NewInbound {
    raw(
        update_id,
        json!({ "update_id": update_id, "callback_query": {
            "id": format!("cb{update_id}"),
            "from": { "id": chat, "is_bot": false, "first_name": "Cán bộ" },
            "chat_instance": "ci-2",
            "data": data,
        } }),
    )
}

/// The callback data of the `label` button under intake's new-case message for `code`.
async fn intake_button(hub: &Hub, code: &str, label: &str) -> String {
    let rows = hub.store().list_outbox(None, 200).await.unwrap();
    let row = rows
        .iter()
        .filter(|r| r.address == STAFF_CHAT.to_string() && r.category == Category::StaffCase)
        .find(|r| r.telegram.as_ref().unwrap().parts.join("").contains(code))
        .expect("intake hears of the case on Telegram");
    let keyboard = &row.telegram.as_ref().unwrap().keyboard;
    let button = keyboard
        .rows
        .iter()
        .flatten()
        .find(|b| b.text.contains(label))
        .unwrap_or_else(|| panic!("no {label} in {keyboard:?}"));
    let hdnd_hub::delivery::ButtonAction::CallbackData(data) = &button.action else {
        panic!("a callback button");
    };
    data.clone()
}

async fn intake_staff_accept_and_reject_new_cases_from_their_buttons_once_and_forgeries_do_nothing(
    db: TestDb,
) {
    use hdnd_hub::domain::Status;
    // Arrange: an intake officer whose chat is linked; two new petitions.
    let (hub, _clock) = notifying_hub(&db).await;
    let mut member = crate::helpers::staff("tam.cao", &[hdnd_hub::domain::Role::Intake]);
    member.contacts.insert(
        0,
        ContactPoint {
            kind: ContactKind::Telegram,
            address: STAFF_CHAT.to_string(),
        },
    );
    hub.store()
        .add_staff(member, &hdnd_hub::domain::AuditNote::operator())
        .await
        .unwrap();
    let first = hub.submit_case(petition()).await.unwrap().case;
    let first_version = first.version;
    let second = hub.submit_case(petition()).await.unwrap().case;
    let accept = intake_button(&hub, first.code.as_str(), "Thụ lý").await;
    let reject = intake_button(&hub, second.code.as_str(), "Không thụ lý").await;
    // The first case's accept, re-pointed at the second case: its tag no longer matches.
    let forged = accept.replacen(
        &format!(":c{}:", first.id.0),
        &format!(":c{}:", second.id.0),
        1,
    );
    assert_ne!(forged, accept);

    // Act: accept pressed twice, a forgery, a citizen pressing staff's button, and a refusal
    // with its reason.
    let ids = deliver(
        &worker(&hub),
        vec![
            press_in(STAFF_CHAT, 1, &accept),
            press_in(STAFF_CHAT, 2, &accept),
            press_in(STAFF_CHAT, 3, &forged),
            press_in(CHAT, 4, &reject),
            press_in(STAFF_CHAT, 5, &reject),
            raw(
                6,
                json!({ "update_id": 6, "message": {
                    "message_id": 6, "date": 1_790_000_000,
                    "chat": { "id": STAFF_CHAT, "type": "private", "first_name": "Cán bộ" },
                    "from": { "id": STAFF_CHAT, "is_bot": false, "first_name": "Cán bộ" },
                    "text": "Nội dung không thuộc thẩm quyền của Hội đồng." } }),
            ),
        ],
    )
    .await;

    // Assert
    assert_all_done(&hub, ids).await;
    let first = hub.store().get_case(first.id).await.unwrap();
    let second = hub.store().get_case(second.id).await.unwrap();
    assert_eq!(first.progress.status, Status::Accepted);
    assert_eq!(second.progress.status, Status::Rejected);
    assert_eq!(first.version, first_version + 1, "accepted once");
    assert_said(
        hub.store(),
        &[
            "Đã thụ lý",
            "đã được xử lý trước đó",
            "không còn hiệu lực",
            "dành cho cán bộ",
            "Lý do không thụ lý",
            "Không thụ lý",
        ],
    )
    .await;
}
