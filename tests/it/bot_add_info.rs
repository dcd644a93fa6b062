//! A citizen adds to their open case from the chat: a message sent outside a dialogue is
//! offered to the open case (or a new one), and the "add information" button under the case's
//! news gathers text and files until "send". Each addition lands once, whatever Telegram
//! redelivers, and a denouncer's additions are sealed as their case is. Each story runs on
//! both databases.

use hdnd_hub::delivery::ButtonAction;
use hdnd_hub::delivery::outbox::Category;
use hdnd_hub::domain::{CaseKind, ContactKind, ContactPoint, EventKind};
use hdnd_hub::{Hub, Store};

use crate::bot::{CHAT, assert_all_done, deliver, press, replies, text, worker};
use crate::helpers::{TestDb, contract_tests, notifying_hub, petition};

contract_tests!(
    a_message_outside_a_dialogue_and_the_news_button_add_to_the_open_case_once,
    a_denouncers_additions_are_sealed_and_reach_their_case,
);

/// The callback data of the citizen's "add information" button under the newest news of
/// their case on this chat.
async fn add_button(store: &std::sync::Arc<dyn Store>) -> String {
    let mut rows = store.list_outbox(None, 200).await.unwrap();
    rows.sort_by_key(|r| std::cmp::Reverse(r.id));
    rows.iter()
        .filter(|r| r.category != Category::Conversation)
        .filter_map(|r| r.telegram.as_ref())
        .flat_map(|t| t.keyboard.rows.iter().flatten())
        .find(|b| b.text.contains("Bổ sung thông tin"))
        .map(|b| match &b.action {
            ButtonAction::CallbackData(data) => data.clone(),
            other => panic!("not a callback button: {other:?}"),
        })
        .expect("the case's news carries an add-information button")
}

async fn additions(hub: &Hub, case: hdnd_hub::domain::CaseId) -> Vec<Option<String>> {
    hub.store()
        .get_timeline(case)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == EventKind::InformationAdded)
        .map(|e| e.note)
        .collect()
}

async fn a_message_outside_a_dialogue_and_the_news_button_add_to_the_open_case_once(db: TestDb) {
    // Arrange: a petition filed from this chat, still open.
    let (hub, _clock) = notifying_hub(&db).await;
    let mut filed = petition();
    filed.contacts = vec![ContactPoint {
        kind: ContactKind::Telegram,
        address: CHAT.to_string(),
    }];
    let case = hub.submit_case(filed).await.unwrap().case;
    let button = add_button(hub.store()).await;
    assert_eq!(button, format!("i:{}", case.code));
    let inbound = worker(&hub);

    // Act: a loose message added to the case; then the button, two messages, and "send"
    // delivered twice (Telegram redelivers an update it did not see acknowledged).
    let ids = deliver(
        &inbound,
        vec![
            text(1, "Đèn ngõ 14 bên cạnh cũng hỏng từ hôm qua."),
            press(2, "n:choose_add:add"),
            press(3, "n:confirm"),
            press(4, &button),
            text(5, "Tối nay khu vực mất điện từ 19 giờ."),
            text(6, "Xin kiểm tra cả tủ điện đầu ngõ."),
            press(7, "n:confirm"),
            press(7, "n:confirm"),
        ],
    )
    .await;

    // Assert
    assert_all_done(&hub, ids).await;
    assert_eq!(
        additions(&hub, case.id).await,
        [
            Some("Đèn ngõ 14 bên cạnh cũng hỏng từ hôm qua.".to_owned()),
            Some(
                "Tối nay khu vực mất điện từ 19 giờ.\nXin kiểm tra cả tủ điện đầu ngõ.".to_owned()
            ),
        ]
    );
    let stored = hub.store().get_case(case.id).await.unwrap();
    assert_eq!(stored.version, case.version + 2, "each addition once");
    let said: Vec<String> = replies(hub.store())
        .await
        .into_iter()
        .map(|r| r.1)
        .collect();
    assert!(said[0].contains("chưa giải quyết xong"), "{said:?}");
    assert!(said[1].contains("Bổ sung thông tin cho hồ sơ"), "{said:?}");
    assert_eq!(
        said.iter()
            .filter(|t| t.contains("Đã bổ sung vào hồ sơ"))
            .count(),
        2,
        "{said:?}"
    );
    let state = hub.chat_state(&CHAT.to_string()).await.unwrap();
    assert_eq!(state.dialogue, None);
}

async fn a_denouncers_additions_are_sealed_and_reach_their_case(db: TestDb) {
    // Arrange: a denunciation filed in this chat.
    let (hub, _clock) = notifying_hub(&db).await;
    let inbound = worker(&hub);
    deliver(
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
            press(6, "n:skip"),
            text(7, "Trần Thị Bình"),
            text(8, "Số 5 ngõ 7, phường Hồng Bàng"),
            press(9, "n:skip"),
            press(10, "n:skip"),
            press(11, "n:confirm"),
        ],
    )
    .await;
    let cases = hub.store().list_cases(&Default::default()).await.unwrap();
    let case = cases.first().expect("the denunciation is filed");
    assert_eq!(case.kind, CaseKind::ToCao);

    // Act: a loose message, added.
    let ids = deliver(
        &inbound,
        vec![
            text(20, "Việc xảy ra chiều thứ Năm tại bộ phận một cửa."),
            press(21, "n:choose_add:add"),
            press(22, "n:confirm"),
        ],
    )
    .await;

    // Assert: on the case, and nothing the denouncer typed is kept in the inbound rows.
    assert_all_done(&hub, ids.clone()).await;
    assert_eq!(
        additions(&hub, case.id).await,
        [Some(
            "Việc xảy ra chiều thứ Năm tại bộ phận một cửa.".to_owned()
        )]
    );
    for id in ids {
        let row = hub.store().get_inbound(id).await.unwrap();
        assert!(
            row.payload.is_none(),
            "row {id} kept what the denouncer typed"
        );
    }
}
