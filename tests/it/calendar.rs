//! The public calendar (page and iCalendar) and a staff member's secret calendar feed: the
//! store's queries on both backends, and what the router answers.

use std::process::{Command, Stdio};

use axum::http::{StatusCode, header};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use hdnd_hub::Hub;
use hdnd_hub::access::Caller;
use hdnd_hub::domain::{AuditNote, CalendarEvent, CalendarKind, NewCalendarEvent, NewTask, Role};
use hdnd_hub::storage::FeedEventRow;

use crate::feeds::{get, state};
use crate::helpers::{TestDb, captured_logs, contract_tests, hub_on, staff};

const HOSTILE: &str =
    "<script>alert(1)</script> Tiếp công dân, định kỳ; \\ <img onerror=x> ]]> \u{202E}gpj";
const SECRET_MEETING: &str = "Họp kín về nhân sự";

fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn long_title() -> String {
    let title = "Tiếp xúc cử tri phường Hồng Bàng trước kỳ họp thứ mười một ".repeat(4);
    title.trim().to_owned()
}

/// Two staff members and the calendar around [`crate::helpers::morning`] (Thursday 26
/// November 2026): a public reception `lan` attends, a secret meeting of both, a public
/// voters' meeting `binh` attends, a public reception last week, one long ago, and a task each.
struct Calendar {
    hub: Hub,
    lan: String,
    reception: CalendarEvent,
    meeting: CalendarEvent,
    voters: CalendarEvent,
    last_week: CalendarEvent,
}

async fn calendar(db: &TestDb) -> Calendar {
    let (hub, _clock) = hub_on(db).await;
    let lan = hub
        .store()
        .add_staff(
            staff("lan.nguyen", &[Role::Secretary]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let binh = hub
        .store()
        .add_staff(staff("binh.vu", &[Role::Deputy]), &AuditNote::operator())
        .await
        .unwrap();
    let add = async |title: &str, kind, starts_at, ends_at, public, attendees| {
        hub.add_calendar_event(
            Caller::Operator,
            NewCalendarEvent {
                title: title.to_owned(),
                kind,
                starts_at,
                ends_at,
                place: Some("Trụ sở HĐND phường; phòng 1, tầng 2".to_owned()),
                public,
                attendees,
            },
        )
        .await
        .unwrap()
    };
    let reception = add(
        HOSTILE,
        CalendarKind::Reception,
        local(2026, 11, 30, 8, 0),
        Some(local(2026, 11, 30, 11, 0)),
        true,
        vec![lan.id],
    )
    .await;
    let meeting = add(
        SECRET_MEETING,
        CalendarKind::Meeting,
        local(2026, 11, 30, 13, 30),
        None,
        false,
        vec![lan.id, binh.id],
    )
    .await;
    let voters = add(
        &long_title(),
        CalendarKind::VoterMeeting,
        local(2026, 12, 2, 14, 0),
        Some(local(2026, 12, 2, 16, 30)),
        true,
        vec![binh.id],
    )
    .await;
    let last_week = add(
        "Tiếp công dân tuần trước",
        CalendarKind::Reception,
        local(2026, 11, 17, 8, 0),
        Some(local(2026, 11, 17, 10, 0)),
        true,
        vec![],
    )
    .await;
    add(
        "Tiếp công dân tháng Chín",
        CalendarKind::Reception,
        local(2026, 9, 1, 8, 0),
        None,
        true,
        vec![lan.id],
    )
    .await;
    for (title, assignee) in [
        ("Soạn báo cáo của Lan", lan.id),
        ("Việc riêng của Bình", binh.id),
    ] {
        hub.add_task(
            Caller::Operator,
            NewTask {
                title: title.to_owned(),
                assignee,
                due_on: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
                case_id: None,
            },
        )
        .await
        .unwrap();
    }
    Calendar {
        hub,
        lan: lan.login,
        reception,
        meeting,
        voters,
        last_week,
    }
}

fn ids(events: &[FeedEventRow]) -> Vec<i64> {
    events.iter().map(|e| e.id).collect()
}

async fn the_store_lists_only_public_events_and_each_members_own(db: TestDb) {
    // Arrange
    let cal = calendar(&db).await;
    let store = cal.hub.store();
    let (from, to) = (local(2026, 11, 1, 0, 0), local(2026, 12, 31, 0, 0));
    let lan = store.get_staff_by_login("lan.nguyen").await.unwrap().id;
    let binh = store.get_staff_by_login("binh.vu").await.unwrap().id;

    // Act
    let public = store.list_public_events(from, to).await.unwrap();
    let lans = store.list_attended_events(lan, from, to).await.unwrap();
    let binhs = store.list_attended_events(binh, from, to).await.unwrap();

    // Assert
    assert_eq!(
        ids(&public),
        [cal.last_week.id, cal.reception.id, cal.voters.id]
    );
    assert!(public.iter().all(|e| e.public));
    assert_eq!(public[1].title, HOSTILE);
    assert_eq!(
        public[1].place.as_deref(),
        Some("Trụ sở HĐND phường; phòng 1, tầng 2")
    );
    assert_eq!(public[1].ends_at, Some(local(2026, 11, 30, 11, 0)));
    assert_eq!(ids(&lans), [cal.reception.id, cal.meeting.id]);
    assert!(!lans[1].public);
    assert_eq!(ids(&binhs), [cal.meeting.id, cal.voters.id]);
}

async fn a_calendar_token_is_stored_hashed_and_replaced_when_issued_again(db: TestDb) {
    // Arrange
    let cal = calendar(&db).await;
    let (from, to) = (local(2026, 11, 1, 0, 0), local(2026, 12, 31, 0, 0));

    // Act
    let old = cal
        .hub
        .issue_calendar_feed(Caller::Operator, &cal.lan)
        .await
        .unwrap();
    let new = cal
        .hub
        .issue_calendar_feed(Caller::Operator, &cal.lan)
        .await
        .unwrap();

    // Assert
    assert_ne!(old.expose(), new.expose());
    assert_eq!(new.expose().len(), 64);
    assert!(!format!("{new:?}").contains(new.expose()));
    let store = cal.hub.store();
    assert_eq!(
        store.get_calendar_feed(new.expose()).await.unwrap(),
        None,
        "hashed"
    );
    assert!(
        cal.hub
            .staff_calendar(old.expose(), from, to)
            .await
            .unwrap()
            .is_none(),
        "the old token opens nothing"
    );
    let mine = cal
        .hub
        .staff_calendar(new.expose(), from, to)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ids(&mine.events), [cal.reception.id, cal.meeting.id]);
    let tasks: Vec<_> = mine.tasks.iter().map(|t| t.title.as_str()).collect();
    assert_eq!(tasks, ["Soạn báo cáo của Lan"]);
    let audit = store.list_audit(10).await.unwrap();
    let issued = audit
        .iter()
        .filter(|a| a.action == "staff.calendar_feed_issued")
        .count();
    assert_eq!(issued, 2, "each issue is audited");
    for malformed in ["", "abc", &"z".repeat(64), &format!("{} ", new.expose())] {
        assert!(
            cal.hub
                .staff_calendar(malformed, from, to)
                .await
                .unwrap()
                .is_none()
        );
    }
}

async fn the_calendar_page_shows_public_events_by_local_day(db: TestDb) {
    // Arrange
    let cal = calendar(&db).await;
    let state = state(cal.hub.clone());

    // Act
    let page = get(&state, "/lich", None).await;

    // Assert
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    assert!(html.contains("<h1>Lịch tiếp công dân, tiếp xúc cử tri</h1>"));
    assert!(html.contains("<a href=\"/lich\" aria-current=\"page\">"));
    assert!(
        html.contains("<time datetime=\"2026-11-30\">Thứ Hai, 30/11/2026</time>"),
        "{html}"
    );
    assert!(html.contains(
        "<time datetime=\"2026-11-30T08:00:00+07:00\">08:00</time> – <time datetime=\"2026-11-30T11:00:00+07:00\">11:00</time>"
    ));
    assert!(html.contains("Tiếp công dân</span>"));
    assert!(html.contains("Tiếp xúc cử tri</span>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>") && !html.contains("<img"));
    assert!(
        !html.contains(SECRET_MEETING),
        "a staff meeting is not public"
    );
    assert!(!html.contains("tháng Chín"), "outside the window");
    let upcoming = html.find("Sắp diễn ra").unwrap();
    let past = html.find("Đã diễn ra trong 31 ngày qua").unwrap();
    let last_week = html.find("Tiếp công dân tuần trước").unwrap();
    let voters = html.find("Thứ Tư, 02/12/2026").unwrap();
    assert!(upcoming < voters && voters < past && past < last_week);
}

/// The lines of an iCalendar body, unfolded, after checking every line ends in CRLF and fits
/// in 75 octets.
fn unfolded(body: &str) -> Vec<String> {
    assert!(body.ends_with("\r\n"));
    let mut lines: Vec<String> = Vec::new();
    for piece in body.trim_end_matches("\r\n").split("\r\n") {
        assert!(
            !piece.contains('\n') && !piece.contains('\r'),
            "a bare line end: {piece:?}"
        );
        assert!(piece.len() <= 75, "{} octets: {piece:?}", piece.len());
        match piece.strip_prefix(' ') {
            Some(rest) => lines.last_mut().unwrap().push_str(rest),
            None => lines.push(piece.to_owned()),
        }
    }
    lines
}

async fn the_public_ics_carries_public_events_folded_and_escaped(db: TestDb) {
    // Arrange
    let cal = calendar(&db).await;
    let state = state(cal.hub.clone());

    // Act
    let ics = get(&state, "/lich.ics", None).await;

    // Assert
    assert_eq!(ics.status, StatusCode::OK);
    assert_eq!(
        ics.headers[header::CONTENT_TYPE],
        "text/calendar; charset=utf-8"
    );
    assert_eq!(ics.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let lines = unfolded(&ics.body);
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    assert!(
        ics.body.lines().count() > lines.len(),
        "long lines were folded"
    );
    let has = |line: &str| lines.iter().any(|l| l == line);
    assert!(has("VERSION:2.0"));
    assert!(has(&format!(
        "UID:event-{}@hdnd.hongbang.example",
        cal.reception.id
    )));
    assert!(has("DTSTART:20261130T010000Z"));
    assert!(has("DTEND:20261130T040000Z"));
    assert!(has(
        "SUMMARY:<script>alert(1)</script> Tiếp công dân\\, định kỳ\\; \\\\ <img onerror=x> ]]> gpj"
    ));
    assert!(has("LOCATION:Trụ sở HĐND phường\\; phòng 1\\, tầng 2"));
    assert!(has("CATEGORIES:Tiếp xúc cử tri"));
    assert!(has(&format!("SUMMARY:{}", long_title())));
    assert!(has("X-WR-TIMEZONE:Asia/Ho_Chi_Minh"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("DTSTAMP:") && l.ends_with('Z'))
    );
    assert_eq!(lines.iter().filter(|l| *l == "BEGIN:VEVENT").count(), 3);
    let text = lines.join("\n");
    assert!(!text.contains(SECRET_MEETING));
    assert!(!text.contains("\u{202E}"));
    assert!(!text.contains("Soạn báo cáo"), "no task is public");
}

async fn a_staff_feed_shows_their_own_events_and_tasks_behind_a_secret_url(db: TestDb) {
    // Arrange: logs captured from here on.
    captured_logs();
    let cal = calendar(&db).await;
    let state = state(cal.hub.clone());
    let old = cal
        .hub
        .issue_calendar_feed(Caller::Operator, &cal.lan)
        .await
        .unwrap();
    let old_path = format!("/lich/rieng/{}.ics", old.expose());
    let before = get(&state, &old_path, None).await;
    let new = cal
        .hub
        .issue_calendar_feed(Caller::Operator, &cal.lan)
        .await
        .unwrap();
    let new_path = format!("/lich/rieng/{}.ics", new.expose());

    // Act
    let mine = get(&state, &new_path, None).await;
    let rotated = get(&state, &old_path, None).await;
    let unknown = get(&state, &format!("/lich/rieng/{}.ics", "0".repeat(64)), None).await;
    let bare = get(&state, &format!("/lich/rieng/{}", new.expose()), None).await;

    // Assert
    assert_eq!(before.status, StatusCode::OK);
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(
        mine.headers[header::CONTENT_TYPE],
        "text/calendar; charset=utf-8"
    );
    assert_eq!(mine.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(mine.headers["x-robots-tag"], "noindex");
    let lines = unfolded(&mine.body);
    let has = |line: &str| lines.iter().any(|l| l == line);
    assert!(has(&format!("SUMMARY:{SECRET_MEETING}")));
    assert!(has("CLASS:PRIVATE"));
    assert!(has(&format!(
        "UID:event-{}@hdnd.hongbang.example",
        cal.meeting.id
    )));
    assert!(has("BEGIN:VTODO") && has("DUE;VALUE=DATE:20261203"));
    assert!(has("SUMMARY:Soạn báo cáo của Lan"));
    let text = lines.join("\n");
    assert!(!text.contains("Việc riêng của Bình"), "another's task");
    assert!(
        !text.contains("trước kỳ họp"),
        "an event Lan does not attend"
    );
    assert!(
        !text.contains("binh.vu") && !text.contains("Cán bộ"),
        "no attendee"
    );
    for (got, what) in [
        (&rotated, "rotated"),
        (&unknown, "unknown"),
        (&bare, "no suffix"),
    ] {
        assert_eq!(got.status, StatusCode::NOT_FOUND, "{what}");
        assert!(
            got.body.contains("<html lang=\"vi\">"),
            "{what}: the portal's 404"
        );
    }
    let logs = String::from_utf8_lossy(&captured_logs().lock().unwrap()).into_owned();
    assert!(
        logs.contains("route=/lich/rieng/{file}"),
        "the request spans were captured"
    );
    assert!(
        !logs.contains(new.expose()) && !logs.contains(old.expose()),
        "a token was logged"
    );
}

/// Makes the account `login` inactive, as an operator would in the database.
async fn deactivate(db: &TestDb, login: &str) {
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

async fn an_inactive_members_calendar_url_opens_nothing(db: TestDb) {
    // Arrange
    let cal = calendar(&db).await;
    let state = state(cal.hub.clone());
    let token = cal
        .hub
        .issue_calendar_feed(Caller::Operator, &cal.lan)
        .await
        .unwrap();
    let path = format!("/lich/rieng/{}.ics", token.expose());
    assert_eq!(get(&state, &path, None).await.status, StatusCode::OK);

    // Act
    deactivate(&db, &cal.lan).await;
    let after = get(&state, &path, None).await;
    let reissue = cal
        .hub
        .issue_calendar_feed(Caller::Operator, &cal.lan)
        .await;

    // Assert
    assert_eq!(after.status, StatusCode::NOT_FOUND);
    assert!(
        reissue.is_err(),
        "an inactive account gets no calendar link"
    );
}

async fn staff_calendar_link_prints_a_url_once_and_rotating_closes_the_old(db: TestDb) {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let hdnd = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_hdnd"))
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("HDND_CONFIG")
            .env_remove("RUST_LOG")
            .env("HDND_DATABASE__URL", &db.url)
            .env("HDND_DEMO", "false")
            .env("HDND_WEB__PUBLIC_URL", "https://hdnd.hongbang.example/")
            .env(
                "HDND_CITIZENS__CONTACT_KEY",
                "a fictional contact key of 32+ bytes",
            )
            .stdin(Stdio::null())
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    hdnd(&[
        "staff",
        "add",
        "--login",
        "lan.nguyen",
        "--name",
        "Nguyễn Thị Lan",
        "--role",
        "thu_ky",
    ]);
    let token = |out: &str| {
        let url = out
            .lines()
            .find(|l| l.starts_with("https://hdnd.hongbang.example/lich/rieng/"))
            .unwrap_or_else(|| panic!("no URL in {out}"));
        url.trim_start_matches("https://hdnd.hongbang.example/lich/rieng/")
            .trim_end_matches(".ics")
            .to_owned()
    };

    // Act
    let first = token(&hdnd(&["staff", "calendar-link", "lan.nguyen"]));
    let second = token(&hdnd(&["staff", "calendar-link", "lan.nguyen"]));

    // Assert
    let (hub, _clock) = hub_on(&db).await;
    let (from, to) = (local(2026, 11, 1, 0, 0), local(2026, 12, 31, 0, 0));
    assert_ne!(first, second);
    assert!(
        hub.staff_calendar(&first, from, to)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        hub.staff_calendar(&second, from, to)
            .await
            .unwrap()
            .is_some()
    );
}

contract_tests!(
    the_store_lists_only_public_events_and_each_members_own,
    a_calendar_token_is_stored_hashed_and_replaced_when_issued_again,
    the_calendar_page_shows_public_events_by_local_day,
    the_public_ics_carries_public_events_folded_and_escaped,
    a_staff_feed_shows_their_own_events_and_tasks_behind_a_secret_url,
    an_inactive_members_calendar_url_opens_nothing,
    staff_calendar_link_prints_a_url_once_and_rotating_closes_the_old,
);
