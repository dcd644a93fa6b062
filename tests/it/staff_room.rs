//! The staff group's posts, as the hub enqueues them: each case but a denunciation goes to
//! its own topic with the buttons of what the office may do, and every later change of status
//! goes to the same topic; the topic survives the outbox's round trip. Both databases.

use std::sync::Arc;

use hdnd_hub::Hub;
use hdnd_hub::delivery::notify::{Notifier, StaffRoom};
use hdnd_hub::delivery::outbox::OutboxRow;
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::delivery::{ButtonAction, ChannelKind, TelegramThread};
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{Actor, AuditNote, Language, Role, Status};

use crate::citizens::petition_like_denunciation;
use crate::helpers::{TestDb, contract_tests, hub_on, petition, staff};

contract_tests!(each_case_but_a_denunciation_is_posted_in_its_own_topic_of_the_staff_group,);

const GROUP: &str = "-1001234567890";

fn with_room(hub: Hub) -> Hub {
    let notifier = Notifier::new(
        Arc::new(Renderer::builtin()),
        hub.profile().clone(),
        "hongbang.example",
    )
    .with_button_key(hub.button_key())
    .with_staff_room(StaffRoom {
        chat: GROUP.to_owned(),
        language: Language::Vi,
    });
    hub.with_notifier(Arc::new(notifier))
}

async fn each_case_but_a_denunciation_is_posted_in_its_own_topic_of_the_staff_group(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let hub = with_room(hub);
    let clerk = hub
        .store()
        .add_staff(staff("lan.tk", &[Role::Intake]), &AuditNote::operator())
        .await
        .unwrap();

    // Act: a petition, accepted; a denunciation.
    let case = hub.submit_case(petition()).await.unwrap().case;
    hub.transition(
        case.id,
        TransitionRequest::to(Status::Accepted, Actor::Staff(clerk.id)),
    )
    .await
    .unwrap();
    hub.submit_case(petition_like_denunciation()).await.unwrap();

    // Assert: two posts, both the petition's, in its topic, read back from the outbox.
    let rows = hub.store().list_outbox(None, 100).await.unwrap();
    let mut posts: Vec<&OutboxRow> = rows.iter().filter(|r| r.address == GROUP).collect();
    posts.sort_by_key(|r| r.id);
    assert_eq!(
        posts.len(),
        2,
        "{:?}",
        posts.iter().map(|r| &r.dedupe_key).collect::<Vec<_>>()
    );
    for post in &posts {
        assert_eq!(post.channel, ChannelKind::Telegram);
        assert_eq!(post.case_id, Some(case.id));
        let telegram = post.telegram.as_ref().unwrap();
        let Some(TelegramThread::Case { case: id, title }) = &telegram.thread else {
            panic!("not in a topic: {:?}", telegram.thread);
        };
        assert_eq!(*id, case.id.0);
        assert_eq!(title, &format!("{} · Kiến nghị", case.code));
    }
    let labels = |post: &OutboxRow| -> Vec<String> {
        let keyboard = &post.telegram.as_ref().unwrap().keyboard;
        keyboard
            .rows
            .iter()
            .flatten()
            .inspect(|b| assert!(matches!(b.action, ButtonAction::CallbackData(_))))
            .map(|b| b.text.clone())
            .collect()
    };
    let text = |post: &OutboxRow| post.telegram.as_ref().unwrap().parts[0].clone();
    assert!(text(posts[0]).contains("Hồ sơ mới"), "{}", text(posts[0]));
    assert!(labels(posts[0]).contains(&"✅ Thụ lý".to_owned()));
    assert!(text(posts[1]).contains("Đã thụ lý"), "{}", text(posts[1]));
    let next = labels(posts[1]);
    assert!(!next.contains(&"✅ Thụ lý".to_owned()), "{next:?}");
    assert!(next.contains(&"❓ Hỏi thêm".to_owned()), "{next:?}");
}
