//! Staff on Telegram: the one-time link `hdnd staff link` prints, what using it changes, who
//! a chat is, and the signed buttons under a new case; on both databases.

use std::process::{Command, Stdio};

use hdnd_hub::access::Caller;
use hdnd_hub::domain::staff_link::is_link_refusal;
use hdnd_hub::domain::{
    AuditNote, ContactKind, ContactPoint, Role, Staff, StaffAction, StaffButton,
};
use hdnd_hub::notification::ButtonAction;
use hdnd_hub::storage::{Completed, InboundCompletion, InboundEffect};
use hdnd_hub::{Error, Hub};

use crate::helpers::{
    TestDb, captured_logs, contract_tests, hub_on, notifying_hub, petition, staff,
};

contract_tests!(
    staff_link_prints_a_deep_link_with_a_username_and_the_start_command_without,
    a_staff_link_links_its_chat_once_and_only_once,
    an_expired_staff_link_is_refused_like_an_unknown_one,
    relinking_moves_the_chat_and_replaces_the_accounts_earlier_one,
    staff_by_chat_finds_only_active_members,
    only_an_admin_or_the_operator_issues_a_staff_link,
    neither_the_token_nor_the_chat_reaches_a_log_line,
    a_new_case_reaches_intake_on_telegram_with_buttons_the_hub_can_verify_and_by_email_without,
    a_denunciations_buttons_go_only_to_staff_who_may_see_it,
);

const CHAT: &str = "700100200";

async fn add(hub: &Hub, login: &str, roles: &[Role]) -> Staff {
    hub.store()
        .add_staff(staff(login, roles), &AuditNote::operator())
        .await
        .unwrap()
}

fn linking(change: hdnd_hub::storage::StaffLinkChange) -> InboundCompletion {
    InboundCompletion {
        effect: InboundEffect::StaffLink(Box::new(change)),
        ..InboundCompletion::nothing()
    }
}

fn telegram_chats(staff: &Staff) -> Vec<&str> {
    staff
        .contacts
        .iter()
        .filter(|c| c.kind == ContactKind::Telegram)
        .map(|c| c.address.as_str())
        .collect()
}

fn hdnd(dir: &std::path::Path, database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hdnd"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("HDND_CONFIG")
        .env_remove("RUST_LOG")
        .env_remove("HDND_TELEGRAM__USERNAME")
        .env("HDND_DATABASE__URL", database_url)
        .env("HDND_DEMO", "false")
        .env(
            "HDND_CITIZENS__CONTACT_KEY",
            "a fictional contact key of 32+ bytes",
        )
        .stdin(Stdio::null());
    cmd
}

async fn staff_link_prints_a_deep_link_with_a_username_and_the_start_command_without(db: TestDb) {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let (hub, _clock) = hub_on(&db).await;
    let member = add(&hub, "tam.cao", &[Role::Intake]).await;

    // Act
    let with_name = hdnd(dir.path(), &db.url)
        .env("HDND_TELEGRAM__USERNAME", "hdnd_hongbang_bot")
        .args(["staff", "link", "tam.cao"])
        .output()
        .unwrap();
    let without = hdnd(dir.path(), &db.url)
        .args(["staff", "link", "tam.cao"])
        .output()
        .unwrap();
    let unknown = hdnd(dir.path(), &db.url)
        .args(["staff", "link", "nobody"])
        .output()
        .unwrap();

    // Assert: a link, then a command, each with a fresh token; nothing on stderr.
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    assert!(with_name.status.success(), "{}", text(&with_name.stderr));
    assert_eq!(text(&with_name.stderr), "");
    let out = text(&with_name.stdout);
    assert!(out.contains("tam.cao"), "{out}");
    let link = out
        .lines()
        .find(|l| l.starts_with("https://t.me/hdnd_hongbang_bot?start="))
        .unwrap_or_else(|| panic!("no deep link in {out}"));
    let token = link.rsplit('=').next().unwrap();
    assert!(token.len() <= 64);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    );
    assert!(without.status.success(), "{}", text(&without.stderr));
    let out = text(&without.stdout);
    assert!(!out.contains("https://t.me/"), "{out}");
    let command = out
        .lines()
        .find(|l| l.starts_with("/start sl_"))
        .unwrap_or_else(|| panic!("no /start command in {out}"));
    let second = command.trim_start_matches("/start ");
    assert_ne!(second, token);
    assert!(!unknown.status.success());

    // ... and either token links the member's chat, each once.
    let linked = hub.link_staff_chat(token, CHAT).await.unwrap();
    assert_eq!(linked.id, member.id);
    assert!(hub.link_staff_chat(token, CHAT).await.is_err());
    assert!(hub.link_staff_chat(second, "700100201").await.is_ok());
}

async fn a_staff_link_links_its_chat_once_and_only_once(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let member = add(&hub, "tam.cao", &[Role::Intake]).await;
    let token = hub
        .issue_staff_link(Caller::Operator, "tam.cao")
        .await
        .unwrap();
    let change = hub.plan_staff_link(token.expose(), CHAT).await.unwrap();
    assert_eq!(change.staff.id, member.id);
    assert_eq!(change.moved_from, None);
    assert!(!change.replaces_chat);

    // Act: the planned change with its message, again with a replayed plan, then planned anew.
    let row = crate::helpers::claimed_update(&hub, 1).await;
    let done = hub
        .store()
        .complete_inbound(&row, linking(change.clone()))
        .await
        .unwrap();
    let again = crate::helpers::claimed_update(&hub, 2).await;
    let replay = hub.store().complete_inbound(&again, linking(change)).await;
    let replanned = hub.plan_staff_link(token.expose(), "700100299").await;

    // Assert
    assert!(matches!(done, Completed::Done { .. }));
    assert!(matches!(replay, Err(Error::Conflict(_))), "{replay:?}");
    let refusal = replanned.unwrap_err();
    assert!(is_link_refusal(&refusal), "{refusal}");
    assert!(refusal.to_string().contains("mã liên kết"), "{refusal}");
    let now = hub.store().get_staff(member.id).await.unwrap();
    assert_eq!(telegram_chats(&now), vec![CHAT]);
    assert_eq!(
        now.contacts[0].kind,
        ContactKind::Telegram,
        "the linked chat comes first, before the email fallback"
    );
    assert_eq!(now.contacts.len(), 2);
    let found = hub.staff_by_chat(CHAT).await.unwrap().unwrap();
    assert_eq!(found.id, member.id);
    assert_eq!(hub.staff_by_chat("700100299").await.unwrap(), None);
    let audit = hub.store().list_audit(50).await.unwrap();
    let count = |action: &str| audit.iter().filter(|a| a.action == action).count();
    assert_eq!(count("staff.link_issued"), 1);
    assert_eq!(count("staff.chat_linked"), 1);
    assert!(audit.iter().all(|a| {
        let detail = a.detail.as_deref().unwrap_or_default();
        !detail.contains(CHAT) && !detail.contains(token.expose())
    }));
}

async fn an_expired_staff_link_is_refused_like_an_unknown_one(db: TestDb) {
    // Arrange
    let (hub, clock) = hub_on(&db).await;
    add(&hub, "tam.cao", &[Role::Intake]).await;
    let token = hub
        .issue_staff_link(Caller::Operator, "tam.cao")
        .await
        .unwrap();
    let fresh = hub
        .issue_staff_link(Caller::Operator, "tam.cao")
        .await
        .unwrap();
    let planned = hub.plan_staff_link(fresh.expose(), CHAT).await.unwrap();

    // Act: a day and a second later.
    clock.advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    let expired = hub.plan_staff_link(token.expose(), CHAT).await.unwrap_err();
    let unknown = hub
        .plan_staff_link("sl_0000000000000000000000000000000000000000000", CHAT)
        .await
        .unwrap_err();
    let malformed = hub.plan_staff_link("<script>", CHAT).await.unwrap_err();
    let applied_late = hub.store().link_staff_chat(&planned).await;

    // Assert: one refusal for all, and a plan made in time does not apply late.
    assert_eq!(expired.to_string(), unknown.to_string());
    assert_eq!(expired.to_string(), malformed.to_string());
    assert!(is_link_refusal(&expired));
    assert!(
        matches!(applied_late, Err(Error::Conflict(_))),
        "{applied_late:?}"
    );
    assert_eq!(hub.staff_by_chat(CHAT).await.unwrap(), None);
}

async fn relinking_moves_the_chat_and_replaces_the_accounts_earlier_one(db: TestDb) {
    // Arrange: an account already given a chat by `staff add --telegram`, and a colleague.
    let (hub, _clock) = hub_on(&db).await;
    let mut first = staff("tam.cao", &[Role::Intake]);
    first.contacts.push(ContactPoint {
        kind: ContactKind::Telegram,
        address: "700100111".to_owned(),
    });
    let first = hub
        .store()
        .add_staff(first, &AuditNote::operator())
        .await
        .unwrap();
    let second = add(&hub, "son.kha", &[Role::Specialist]).await;
    let link = |login: &'static str| {
        let hub = hub.clone();
        async move { hub.issue_staff_link(Caller::Operator, login).await.unwrap() }
    };

    // Act: the first links a new chat (replacing its old one); then the colleague takes it.
    let token = link("tam.cao").await;
    let replacing = hub.plan_staff_link(token.expose(), CHAT).await.unwrap();
    hub.store().link_staff_chat(&replacing).await.unwrap();
    let after_replace = hub.store().get_staff(first.id).await.unwrap();
    let token = link("son.kha").await;
    let moving = hub.plan_staff_link(token.expose(), CHAT).await.unwrap();
    hub.store().link_staff_chat(&moving).await.unwrap();

    // Assert
    assert!(replacing.replaces_chat);
    assert_eq!(replacing.moved_from, None);
    assert_eq!(telegram_chats(&after_replace), vec![CHAT]);
    assert_eq!(hub.staff_by_chat("700100111").await.unwrap(), None);
    assert_eq!(moving.moved_from, Some(first.id));
    let first_now = hub.store().get_staff(first.id).await.unwrap();
    assert!(telegram_chats(&first_now).is_empty());
    assert_eq!(
        first_now.contacts.len(),
        1,
        "the email stays: {:?}",
        first_now.contacts
    );
    let found = hub.staff_by_chat(CHAT).await.unwrap().unwrap();
    assert_eq!(found.id, second.id);
    let audit = hub.store().list_audit(50).await.unwrap();
    assert!(audit.iter().any(|a| {
        a.action == "staff.chat_linked"
            && a.detail
                .as_deref()
                .is_some_and(|d| d.contains(&format!("moved from staff:{}", first.id)))
    }));
}

/// Turns an account off the way an operator would in the database (the hub has no service
/// for it yet).
pub(crate) async fn deactivate(db: &TestDb, login: &str) {
    use sqlx::Connection;
    let sql = "UPDATE staff SET active = FALSE WHERE login = $1";
    if db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql)
            .bind(login)
            .execute(&mut conn)
            .await
            .unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql)
            .bind(login)
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

async fn staff_by_chat_finds_only_active_members(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    add(&hub, "tam.cao", &[Role::Intake]).await;
    let token = hub
        .issue_staff_link(Caller::Operator, "tam.cao")
        .await
        .unwrap();
    let unused = hub
        .issue_staff_link(Caller::Operator, "tam.cao")
        .await
        .unwrap();
    hub.link_staff_chat(token.expose(), CHAT).await.unwrap();
    assert!(hub.staff_by_chat(CHAT).await.unwrap().is_some());

    // Act
    deactivate(&db, "tam.cao").await;

    // Assert: nobody, the remaining link refused, and no new link issued.
    assert_eq!(hub.staff_by_chat(CHAT).await.unwrap(), None);
    assert_eq!(hub.staff_by_chat("12345").await.unwrap(), None);
    assert!(hub.staff_by_chat("not a chat").await.is_err());
    let refused = hub
        .plan_staff_link(unused.expose(), CHAT)
        .await
        .unwrap_err();
    assert!(is_link_refusal(&refused));
    assert!(
        hub.issue_staff_link(Caller::Operator, "tam.cao")
            .await
            .is_err()
    );
}

async fn only_an_admin_or_the_operator_issues_a_staff_link(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let admin = add(&hub, "quan.tri", &[Role::Admin]).await;
    let lead = add(&hub, "lanh.dao", &[Role::Lead, Role::Intake]).await;
    add(&hub, "tam.cao", &[Role::Intake]).await;

    // Act
    let by_admin = hub
        .issue_staff_link(Caller::Staff(admin.id), "tam.cao")
        .await;
    let by_lead = hub
        .issue_staff_link(Caller::Staff(lead.id), "tam.cao")
        .await;
    let own = hub
        .issue_staff_link(Caller::Staff(lead.id), "lanh.dao")
        .await;
    let nobody = hub.issue_staff_link(Caller::Operator, "khong.co").await;

    // Assert
    assert!(by_admin.is_ok(), "{by_admin:?}");
    assert!(
        matches!(
            by_lead,
            Err(Error::Domain(hdnd_hub::DomainError::Forbidden(_)))
        ),
        "{by_lead:?}"
    );
    assert!(own.is_err(), "linking goes through an administrator");
    assert!(matches!(nobody, Err(Error::NotFound(_))), "{nobody:?}");
    let audit = hub.store().list_audit(50).await.unwrap();
    let issued: Vec<_> = audit
        .iter()
        .filter(|a| a.action == "staff.link_issued")
        .collect();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].staff, Some(admin.id));
}

async fn neither_the_token_nor_the_chat_reaches_a_log_line(db: TestDb) {
    // Arrange
    let logs = captured_logs();
    let (hub, clock) = hub_on(&db).await;
    add(&hub, "tam.cao", &[Role::Intake]).await;
    let chat = "700999888";

    // Act: issue, link by a message and at once, refuse a used and an expired token.
    let token = hub
        .issue_staff_link(Caller::Operator, "tam.cao")
        .await
        .unwrap();
    let change = hub.plan_staff_link(token.expose(), chat).await.unwrap();
    let debug = format!("{change:?} {token:?}");
    let row = crate::helpers::claimed_update(&hub, 1).await;
    hub.store()
        .complete_inbound(&row, linking(change.clone()))
        .await
        .unwrap();
    let replay = crate::helpers::claimed_update(&hub, 2).await;
    let _ = hub.store().complete_inbound(&replay, linking(change)).await;
    let again = hub.plan_staff_link(token.expose(), chat).await.unwrap_err();
    let other = hub
        .issue_staff_link(Caller::Operator, "tam.cao")
        .await
        .unwrap();
    hub.link_staff_chat(other.expose(), chat).await.unwrap();
    let late = hub
        .issue_staff_link(Caller::Operator, "tam.cao")
        .await
        .unwrap();
    clock.advance(chrono::Duration::days(2));
    let expired = hub.link_staff_chat(late.expose(), chat).await.unwrap_err();

    // Assert
    let text = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    for secret in [token.expose(), other.expose(), late.expose(), chat] {
        assert!(!text.contains(secret), "a secret reached the log");
        assert!(!debug.contains(secret), "a secret reached Debug: {debug}");
        assert!(!again.to_string().contains(secret));
        assert!(!expired.to_string().contains(secret));
    }
    let outbox = hub.store().list_outbox(None, 50).await.unwrap();
    assert!(outbox.iter().all(|r| !r.dedupe_key.contains(chat)));
}

async fn a_new_case_reaches_intake_on_telegram_with_buttons_the_hub_can_verify_and_by_email_without(
    db: TestDb,
) {
    // Arrange: one intake officer reached on Telegram first (English), one by email only, one
    // who also publishes.
    let (hub, _clock) = notifying_hub(&db).await;
    let mut on_telegram = staff("tam.cao", &[Role::Intake]);
    on_telegram.language = hdnd_hub::domain::Language::En;
    on_telegram.contacts.insert(
        0,
        ContactPoint {
            kind: ContactKind::Telegram,
            address: CHAT.to_owned(),
        },
    );
    let on_telegram = hub
        .store()
        .add_staff(on_telegram, &AuditNote::operator())
        .await
        .unwrap();
    let by_email = add(&hub, "vy.ton", &[Role::Intake]).await;
    let mut secretary = staff("thu.ky", &[Role::Intake, Role::Secretary]);
    secretary.contacts = vec![ContactPoint {
        kind: ContactKind::Telegram,
        address: "700100300".to_owned(),
    }];
    let secretary = hub
        .store()
        .add_staff(secretary, &AuditNote::operator())
        .await
        .unwrap();

    // Act
    let case = hub.submit_case(petition()).await.unwrap().case;
    let rows = hub.store().list_outbox(None, 50).await.unwrap();
    let row_of = |member: &Staff| {
        rows.iter()
            .find(|r| r.dedupe_key.ends_with(&format!("staff:{}:new", member.id)))
            .unwrap_or_else(|| panic!("no new-case row for {}", member.login))
    };

    // Assert: the Telegram rendering carries the moves from `received`, in the member's
    // language, each a button the hub signed for this case.
    let telegram = row_of(&on_telegram);
    assert_eq!(telegram.channel, hdnd_hub::delivery::ChannelKind::Telegram);
    let keyboard = &telegram.telegram.as_ref().unwrap().keyboard;
    let buttons: Vec<_> = keyboard.rows.iter().flatten().collect();
    let labels: Vec<&str> = buttons.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(
        labels,
        [
            "✅ Accept",
            "❌ Reject",
            "❓ Ask the citizen",
            "➡\u{fe0f} Forward"
        ],
        "the moves intake may make from `received`"
    );
    assert!(keyboard.rows.iter().all(|row| row.len() <= 2));
    let pressed: Vec<StaffButton> = buttons
        .iter()
        .map(|b| {
            let ButtonAction::CallbackData(data) = &b.action else {
                panic!("a URL button: {b:?}");
            };
            assert!(data.len() <= 64, "{data}");
            hub.read_staff_button(data)
                .unwrap_or_else(|| panic!("{data} does not verify"))
        })
        .collect();
    assert_eq!(
        pressed,
        [
            StaffAction::Accept,
            StaffAction::Reject,
            StaffAction::Ask,
            StaffAction::Forward
        ]
        .map(|a| StaffButton::case(a, case.id))
    );
    // ... which another hub (another key) does not accept.
    let (stranger, _) = hub_on(&db).await;
    let ButtonAction::CallbackData(data) = &buttons[0].action else {
        unreachable!()
    };
    assert_eq!(stranger.read_staff_button(data), None);
    assert_eq!(
        hub.staff_button(StaffAction::Accept, case.id),
        *data,
        "the hub makes the same data"
    );
    // The email fallback of the same row, and the email-only member's row, have no buttons.
    assert!(!telegram.text.contains("s:accept"));
    let email = row_of(&by_email);
    assert_eq!(email.channel, hdnd_hub::delivery::ChannelKind::Email);
    assert!(email.telegram.is_none());
    for text in [&email.text, email.html.as_ref().unwrap()] {
        assert!(
            !text.contains("s:accept") && !text.contains("Thụ lý</"),
            "{text}"
        );
    }
    // The labels are Vietnamese for a Vietnamese reader, and the secretary may also publish
    // (the chat then asks the public title and excerpt).
    let keyboard = &row_of(&secretary).telegram.as_ref().unwrap().keyboard;
    let labels: Vec<&str> = keyboard
        .rows
        .iter()
        .flatten()
        .map(|b| b.text.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "✅ Thụ lý",
            "❌ Không thụ lý",
            "❓ Hỏi thêm",
            "➡\u{fe0f} Chuyển đơn",
            "🌐 Công khai"
        ]
    );
}

async fn a_denunciations_buttons_go_only_to_staff_who_may_see_it(db: TestDb) {
    // Arrange: intake alone, and intake who also handles denunciations, both on Telegram.
    let (hub, _clock) = notifying_hub(&db).await;
    let on_telegram = |login: &str, roles: &[Role], chat: &str| {
        let mut member = staff(login, roles);
        member.contacts = vec![ContactPoint {
            kind: ContactKind::Telegram,
            address: chat.to_owned(),
        }];
        member
    };
    let intake = on_telegram("tam.cao", &[Role::Intake], "700100401");
    let officer = on_telegram(
        "lam.tu",
        &[Role::Intake, Role::DenunciationOfficer],
        "700100402",
    );
    let intake = hub
        .store()
        .add_staff(intake, &AuditNote::operator())
        .await
        .unwrap();
    let officer = hub
        .store()
        .add_staff(officer, &AuditNote::operator())
        .await
        .unwrap();

    // Act
    let case = hub
        .submit_case(crate::identity_canary::denunciation())
        .await
        .unwrap()
        .case;
    let rows = hub.store().list_outbox(None, 50).await.unwrap();
    let keyboard_of = |member: &Staff| {
        rows.iter()
            .find(|r| r.dedupe_key.ends_with(&format!("staff:{}:new", member.id)))
            .and_then(|r| r.telegram.clone())
            .map(|t| t.keyboard)
            .unwrap_or_default()
    };

    // Assert
    assert!(
        keyboard_of(&intake).is_empty(),
        "{:?}",
        keyboard_of(&intake)
    );
    let officer_buttons: Vec<StaffButton> = keyboard_of(&officer)
        .rows
        .iter()
        .flatten()
        .filter_map(|b| match &b.action {
            ButtonAction::CallbackData(data) => hub.read_staff_button(data),
            ButtonAction::Url(_) => None,
        })
        .collect();
    assert_eq!(
        officer_buttons,
        [
            StaffAction::Accept,
            StaffAction::Reject,
            StaffAction::Ask,
            StaffAction::Forward
        ]
        .map(|a| StaffButton::case(a, case.id)),
        "never publish on a denunciation"
    );
}
