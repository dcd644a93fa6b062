//! The one-shot commands of the real `hdnd` binary: what they print, and where.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::helpers::{TestDb, contract_tests};

/// `hdnd <args>` in `dir` against `database_url`, with none of the caller's settings and no
/// `RUST_LOG`, so that the defaults are what is tested.
fn hdnd(dir: &Path, database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hdnd"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("HDND_CONFIG")
        .env_remove("RUST_LOG")
        .env("HDND_DATABASE__URL", database_url)
        .env("HDND_DEMO", "false")
        // A key given, so that no key file is made (which rightly warns).
        .env(
            "HDND_CITIZENS__CONTACT_KEY",
            "a fictional contact key of 32+ bytes",
        )
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command, args: &[&str]) -> Output {
    let out = cmd.args(args).output().expect("hdnd runs");
    assert!(
        out.status.success(),
        "hdnd {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

contract_tests!(
    one_shot_commands_print_only_their_answer,
    a_telegram_group_id_is_accepted_by_staff_add,
    outbox_show_and_list_mask_the_unsubscribe_token,
);

async fn one_shot_commands_print_only_their_answer(db: TestDb) {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let url = db.url.clone();

    for args in [
        &["migrate"][..],
        &["config", "check"],
        &["staff", "list"],
        &["outbox", "list"],
        &["task", "list"],
        &["event", "list"],
    ] {
        // Act
        let out = run(&mut hdnd(dir.path(), &url), args);

        // Assert
        assert!(!out.stdout.is_empty(), "{args:?} printed no answer");
        assert_eq!(text(&out.stderr), "", "{args:?} logged on stderr");
        assert!(!text(&out.stdout).contains(" INFO "), "{args:?}");
    }

    // ... and the log is still there when asked for, by RUST_LOG or by [log] filter.
    let out = run(
        hdnd(dir.path(), &url).env("RUST_LOG", "info"),
        &["staff", "list"],
    );
    assert!(
        text(&out.stderr).contains(" INFO "),
        "{}",
        text(&out.stderr)
    );
    let out = run(
        hdnd(dir.path(), &url).env("HDND_LOG__FILTER", "info"),
        &["staff", "list"],
    );
    assert!(
        text(&out.stderr).contains(" INFO "),
        "{}",
        text(&out.stderr)
    );
}

async fn a_telegram_group_id_is_accepted_by_staff_add(db: TestDb) {
    // Arrange
    let dir = tempfile::tempdir().unwrap();

    // Act
    let out = run(
        &mut hdnd(dir.path(), &db.url),
        &[
            "staff",
            "add",
            "--login",
            "nhom.tiep-nhan",
            "--name",
            "Nhóm tiếp nhận",
            "--role",
            "tiep_nhan",
            "--telegram",
            "-1001234567890",
        ],
    );

    // Assert
    assert!(
        text(&out.stdout).contains("nhom.tiep-nhan"),
        "{}",
        text(&out.stdout)
    );
    let store = db.open(std::sync::Arc::new(hdnd_hub::SystemClock)).await;
    let staff = store.get_staff_by_login("nhom.tiep-nhan").await.unwrap();
    assert_eq!(staff.contacts[0].address, "-1001234567890");
}

async fn outbox_show_and_list_mask_the_unsubscribe_token(db: TestDb) {
    use chrono::{NaiveDate, TimeZone, Utc};
    use hdnd_hub::delivery::ChannelKind;
    use hdnd_hub::delivery::outbox::Category;
    use hdnd_hub::delivery::render::Renderer;
    use hdnd_hub::domain::{AuditNote, NewTask, Role};
    use hdnd_hub::schedule::{ScheduleSettings, Scheduler};

    // Arrange: a task reminder, with its unsubscribe link, as the scheduler enqueues it at
    // 08:00 on the day the task is due.
    let (hub, clock) = crate::helpers::hub_on(&db).await;
    let store = hub.store().clone();
    let lan = store
        .add_staff(
            crate::helpers::staff("lan.cv", &[Role::Specialist]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let due_on = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let task = NewTask {
        title: "Tổng hợp kiến nghị cử tri".to_owned(),
        assignee: lan.id,
        due_on,
        case_id: None,
    };
    store.add_task(task, &AuditNote::operator()).await.unwrap();
    clock.set(
        chrono_tz::Asia::Ho_Chi_Minh
            .with_ymd_and_hms(2026, 11, 26, 8, 1, 0)
            .unwrap()
            .with_timezone(&Utc),
    );
    let scheduler = Scheduler::new(
        hub.clone(),
        std::sync::Arc::new(Renderer::builtin()),
        ScheduleSettings {
            morning_digest: String::new(),
            ..ScheduleSettings::default()
        },
        "http://127.0.0.1:8080",
    )
    .unwrap();
    assert_eq!(scheduler.tick().await.unwrap(), 1);
    let token = store
        .unsubscribe_token(lan.id, Category::Reminder, ChannelKind::Email)
        .await
        .unwrap();
    let rows = store.list_outbox(None, 10).await.unwrap();
    let row = &rows[0];
    assert!(
        row.text.contains(&token),
        "the stored text carries the link"
    );
    let dir = tempfile::tempdir().unwrap();

    // Act
    let show = run(
        &mut hdnd(dir.path(), &db.url),
        &["outbox", "show", &row.id.to_string()],
    );
    let list = run(&mut hdnd(dir.path(), &db.url), &["outbox", "list"]);

    // Assert
    let show = text(&show.stdout);
    assert!(!show.contains(&token), "{show}");
    assert!(
        show.contains(&format!("/huy-nhan-tin/{}…", &token[..4])),
        "{show}"
    );
    assert!(show.contains("Tổng hợp kiến nghị cử tri"), "{show}");
    assert!(!text(&list.stdout).contains(&token));
}
