//! Search, filters and the cursor of the public listing, on both databases: the same words find
//! the same cases whichever backend holds them, and only what a case's public page shows can
//! find it.

use chrono::Duration;
use hdnd_hub::Hub;
use hdnd_hub::catalog::PublicFilter;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{Actor, AuditNote, Bucket, CaseCode, CaseKind, EventKind, Role, Status};
use hdnd_hub::search::SearchQuery;
use hdnd_hub::storage::PublicationChange;

use crate::helpers::{TestDb, as_citizen, contract_tests, hub_on, petition, staff};

contract_tests!(
    a_search_ignores_diacritics_and_case_over_title_excerpt_and_final_answer,
    a_search_never_finds_an_unpublished_case_nor_one_taken_down,
    the_cursor_walks_every_published_case_once_in_order,
    the_listing_filters_by_year_and_bucket_with_a_search,
    cases_published_before_the_search_existed_are_indexed_when_the_store_opens,
);

async fn clerk(hub: &Hub) -> hdnd_hub::domain::Staff {
    hub.store()
        .add_staff(
            staff("lan.tran", &[Role::Secretary, Role::Intake]),
            &AuditNote::operator(),
        )
        .await
        .unwrap()
}

/// A published petition with this public title and excerpt.
async fn published(
    hub: &Hub,
    clerk: &hdnd_hub::domain::Staff,
    title: &str,
    summary: &str,
) -> hdnd_hub::domain::Case {
    let case = hub.submit_case(petition()).await.unwrap().case;
    hub.publish_case(case.id, clerk.id, title, summary)
        .await
        .unwrap()
}

/// Takes a case through to `to` (answered or explained) with `text` as its answer.
async fn settle(
    hub: &Hub,
    clerk: &hdnd_hub::domain::Staff,
    case: &hdnd_hub::domain::Case,
    to: Status,
    text: &str,
) {
    let me = Actor::Staff(clerk.id);
    hub.transition(case.id, TransitionRequest::to(Status::Accepted, me))
        .await
        .unwrap();
    hub.transition(
        case.id,
        TransitionRequest::to(Status::InProgress, me).with_assignee(clerk.id),
    )
    .await
    .unwrap();
    hub.transition(case.id, TransitionRequest::to(to, me).with_text(text))
        .await
        .unwrap();
}

/// The codes a search finds, newest receipt first, checked against its count.
async fn found(hub: &Hub, typed: &str) -> Vec<String> {
    let filter = PublicFilter {
        search: SearchQuery::parse(typed),
        ..PublicFilter::default()
    };
    let codes: Vec<String> = hub
        .catalog()
        .list(&filter)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.code.to_string())
        .collect();
    assert_eq!(
        hub.catalog().count(&filter).await.unwrap(),
        codes.len() as i64,
        "the count of “{typed}” matches its list"
    );
    codes
}

async fn a_search_ignores_diacritics_and_case_over_title_excerpt_and_final_answer(db: TestDb) {
    // Arrange
    let (hub, clock) = hub_on(&db).await;
    let clerk = clerk(&hub).await;
    let road = published(
        &hub,
        &clerk,
        "Kiến nghị sửa đường Lạch Tray",
        "Mặt đường hỏng nặng sau mưa.",
    )
    .await;
    clock.advance(Duration::minutes(1));
    let lamp = published(&hub, &clerk, "Đèn ngõ 12", "Đèn chiếu sáng hỏng.").await;
    clock.advance(Duration::minutes(1));
    let trees = published(&hub, &clerk, "Cây xanh", "Cây đổ chắn lối đi.").await;

    // Act
    let before_answer = found(&hub, "nuoc").await;
    settle(
        &hub,
        &clerk,
        &trees,
        Status::Answered,
        "Đã dọn cây, thông cống thoát NƯỚC.",
    )
    .await;

    // Assert
    assert_eq!(found(&hub, "kien nghi duong").await, [road.code.as_str()]);
    assert_eq!(found(&hub, "KIẾN NGHỊ Đường").await, [road.code.as_str()]);
    assert_eq!(
        found(&hub, "hong").await,
        [lamp.code.as_str(), road.code.as_str()]
    );
    assert_eq!(
        found(&hub, "đườn").await,
        [road.code.as_str()],
        "a word is a prefix"
    );
    assert_eq!(
        found(&hub, "sau mua").await,
        [road.code.as_str()],
        "the excerpt counts"
    );
    assert_eq!(before_answer, Vec::<String>::new(), "no answer yet");
    assert_eq!(found(&hub, "thong cong nuoc").await, [trees.code.as_str()]);
    assert!(
        found(&hub, "kien nghi den").await.is_empty(),
        "every word is needed"
    );
    assert!(
        found(&hub, "Phạm Thị Hoa").await.is_empty(),
        "the citizen's name is not public"
    );
    assert!(
        found(&hub, "Hoàng Văn Thụ hỏng đã hai tuần")
            .await
            .is_empty(),
        "the citizen's own text is not public"
    );
}

async fn a_search_never_finds_an_unpublished_case_nor_one_taken_down(db: TestDb) {
    // Arrange: an unpublished case, a published one taken down, and an answer reopened.
    let (hub, _clock) = hub_on(&db).await;
    let clerk = clerk(&hub).await;
    let me = Actor::Staff(clerk.id);
    hub.submit_case(petition()).await.unwrap();
    let taken_down = published(&hub, &clerk, "Kiến nghị bị gỡ", "Nội dung gỡ xuống.").await;
    hub.store()
        .update_case_publication(PublicationChange {
            case_id: taken_down.id,
            expected_version: taken_down.version,
            publication: None,
            event: hdnd_hub::domain::NewEvent {
                kind: EventKind::Unpublished,
                actor: me,
                from: None,
                to: None,
                note: None,
            },
            notify: hdnd_hub::storage::Notify::none(),
        })
        .await
        .unwrap();
    let created = hub.submit_case(petition()).await.unwrap();
    let reopened = hub
        .publish_case(created.case.id, clerk.id, "Rác thải", "Rác chưa thu gom.")
        .await
        .unwrap();
    settle(
        &hub,
        &clerk,
        &reopened,
        Status::Answered,
        "Trả lời tạm thời về xe rác.",
    )
    .await;
    let answered_finds = found(&hub, "xe rac").await;

    // Act: the citizen is not satisfied, and the case is open again.
    as_citizen(
        &hub,
        &created.access_token,
        TransitionRequest::to(Status::InProgress, Actor::Citizen),
    )
    .await
    .unwrap();

    // Assert
    assert!(
        found(&hub, "den chieu sang").await.is_empty(),
        "unpublished"
    );
    assert!(found(&hub, "bi go").await.is_empty(), "taken down");
    assert_eq!(answered_finds, [reopened.code.as_str()]);
    assert!(
        found(&hub, "xe rac").await.is_empty(),
        "an answer no longer final is not searchable"
    );
    assert_eq!(found(&hub, "rac thai").await, [reopened.code.as_str()]);
}

async fn the_cursor_walks_every_published_case_once_in_order(db: TestDb) {
    // Arrange: 45 cases, some received within the same millisecond as their neighbour.
    let (hub, clock) = hub_on(&db).await;
    let clerk = clerk(&hub).await;
    let mut newest_first = Vec::new();
    for i in 0..45 {
        let case = published(&hub, &clerk, &format!("Hồ sơ số {i}"), "Tóm tắt.").await;
        newest_first.insert(0, case.code);
        if i % 3 == 0 {
            clock.advance(Duration::minutes(1));
        }
    }

    // Act
    let mut walked = Vec::new();
    let mut pages = 0;
    let mut filter = PublicFilter::default();
    loop {
        let page = hub.catalog().page(&filter, 20).await.unwrap();
        pages += 1;
        walked.extend(page.items.into_iter().map(|c| c.code));
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    let bogus = hub
        .catalog()
        .page(
            &PublicFilter {
                after: Some(CaseCode::parse("HB.20200101.0001").unwrap()),
                ..PublicFilter::default()
            },
            20,
        )
        .await
        .unwrap();

    // Assert
    assert_eq!(pages, 3);
    assert_eq!(walked, newest_first);
    assert!(
        bogus.items.is_empty() && bogus.next.is_none(),
        "no such case, no page"
    );
}

async fn the_listing_filters_by_year_and_bucket_with_a_search(db: TestDb) {
    // Arrange: one case received in 2026, two a year later, one of them answered.
    let (hub, clock) = hub_on(&db).await;
    let clerk = clerk(&hub).await;
    let old = published(&hub, &clerk, "Kiến nghị về nước sạch", "Thiếu nước.").await;
    clock.advance(Duration::days(400));
    let open = published(&hub, &clerk, "Kiến nghị về nước sạch", "Nước đục.").await;
    let done = published(&hub, &clerk, "Kiến nghị về nước sạch", "Mất nước.").await;
    settle(&hub, &clerk, &done, Status::Answered, "Đã sửa đường ống.").await;
    let codes = |filter: PublicFilter| {
        let hub = hub.clone();
        async move {
            let page = hub.catalog().page(&filter, 20).await.unwrap();
            assert_eq!(
                hub.catalog().count(&filter).await.unwrap(),
                page.items.len() as i64
            );
            page.items
                .into_iter()
                .map(|c| c.code.to_string())
                .collect::<Vec<_>>()
        }
    };
    let search = SearchQuery::parse("nuoc sach");

    // Act
    let in_2026 = codes(PublicFilter {
        year: Some(2026),
        search: search.clone(),
        ..PublicFilter::default()
    })
    .await;
    let in_2027 = codes(PublicFilter {
        year: Some(2027),
        search: search.clone(),
        ..PublicFilter::default()
    })
    .await;
    let resolved = codes(PublicFilter {
        bucket: Some(Bucket::Resolved),
        search: search.clone(),
        ..PublicFilter::default()
    })
    .await;
    let in_hand_2027 = codes(PublicFilter {
        year: Some(2027),
        bucket: Some(Bucket::InHand),
        kind: Some(CaseKind::KienNghi),
        area: Some("hoang-van-thu".to_owned()),
        category: Some("giao-thong".to_owned()),
        search,
        ..PublicFilter::default()
    })
    .await;
    let years = hub.catalog().years().await.unwrap();

    // Assert
    assert_eq!(in_2026, [old.code.as_str()]);
    assert_eq!(in_2027, [done.code.as_str(), open.code.as_str()]);
    assert_eq!(resolved, [done.code.as_str()]);
    assert_eq!(in_hand_2027, [open.code.as_str()]);
    assert_eq!(years, [2027, 2026]);
}

async fn cases_published_before_the_search_existed_are_indexed_when_the_store_opens(db: TestDb) {
    // Arrange: a published case whose folded text is lost, as in a database migrated from
    // before the search.
    let (hub, clock) = hub_on(&db).await;
    let clerk = clerk(&hub).await;
    let case = published(&hub, &clerk, "Kiến nghị về chợ cóc", "Chợ họp lấn đường.").await;
    forget_search_text(&db).await;
    assert!(found(&hub, "cho coc").await.is_empty(), "the index lost it");

    // Act
    let reopened = Hub::new(db.open(clock).await, hub.profile().clone());

    // Assert
    assert_eq!(found(&reopened, "cho coc").await, [case.code.as_str()]);
}

async fn forget_search_text(db: &TestDb) {
    use sqlx::Connection;
    let sql = "UPDATE cases SET search_text = NULL";
    if db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
}
