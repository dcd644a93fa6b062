//! `hdnd task …` and `hdnd event …`: staff tasks and the work calendar from the command line.

use anyhow::Context;
use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use hdnd_hub::Hub;
use hdnd_hub::access::Caller;
use hdnd_hub::domain::{CaseCode, NewCalendarEvent, NewTask, StaffId, TaskStatus};

use crate::cli::{EventCommand, TaskCommand};
use crate::commands::open_hub;
use crate::settings::Settings;

pub(crate) async fn task(settings: &Settings, command: TaskCommand) -> anyhow::Result<()> {
    let (hub, _) = open_hub(settings).await?;
    match command {
        TaskCommand::Add {
            title,
            assignee,
            due,
            case,
        } => {
            let assignee = staff_id(&hub, &assignee).await?;
            let due_on = NaiveDate::parse_from_str(due.trim(), "%Y-%m-%d")
                .with_context(|| format!("`{due}` không phải ngày dạng YYYY-MM-DD"))?;
            let case_id = match case {
                Some(code) => Some(
                    hub.case_id_by_code(Caller::Operator, &CaseCode::parse(&code)?)
                        .await
                        .with_context(|| format!("không có hồ sơ {code}"))?,
                ),
                None => None,
            };
            let task = hub
                .add_task(
                    Caller::Operator,
                    NewTask {
                        title,
                        assignee,
                        due_on,
                        case_id,
                    },
                )
                .await?;
            println!(
                "Đã giao nhiệm vụ #{}: {} (hạn {}).",
                task.id,
                task.title,
                task.due_on.format("%d/%m/%Y")
            );
        }
        TaskCommand::List { days } => {
            let today = hub.profile().local_date(hub.clock().now());
            let staff = hub.list_staff(Caller::Operator).await?;
            let tasks = hub
                .tasks(
                    Caller::Operator,
                    Some(TaskStatus::Open),
                    today - Duration::days(365),
                    today + Duration::days(days),
                )
                .await?;
            if tasks.is_empty() {
                println!("Không có nhiệm vụ nào chưa xong đến hạn trong {days} ngày tới.");
            }
            for task in tasks {
                let who = staff
                    .iter()
                    .find(|s| s.id == task.assignee)
                    .map_or("?", |s| s.login.as_str());
                let late = if task.due_on < today {
                    "  (quá hạn)"
                } else {
                    ""
                };
                println!(
                    "#{:<5} {}  {:<16} {}{late}",
                    task.id,
                    task.due_on.format("%d/%m/%Y"),
                    who,
                    task.title
                );
            }
        }
        TaskCommand::Done { id } => {
            let task = hub
                .set_task_status(Caller::Operator, id, TaskStatus::Done)
                .await?;
            println!("Nhiệm vụ #{} đã xong: {}.", task.id, task.title);
        }
    }
    Ok(())
}

pub(crate) async fn event(settings: &Settings, command: EventCommand) -> anyhow::Result<()> {
    let (hub, _) = open_hub(settings).await?;
    let tz = hub.profile().time_zone;
    match command {
        EventCommand::Add {
            title,
            kind,
            start,
            end,
            place,
            public,
            attendees,
        } => {
            let local = |text: &str| -> anyhow::Result<chrono::DateTime<Utc>> {
                let naive = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M")
                    .with_context(|| {
                        format!("`{text}` không phải thời điểm dạng \"YYYY-MM-DD HH:MM\"")
                    })?;
                let at = tz
                    .from_local_datetime(&naive)
                    .earliest()
                    .with_context(|| format!("{text} không tồn tại ở múi giờ {tz}"))?;
                Ok(at.with_timezone(&Utc))
            };
            let mut ids = Vec::new();
            for login in &attendees {
                ids.push(staff_id(&hub, login).await?);
            }
            let event = NewCalendarEvent {
                title,
                kind: kind.parse()?,
                starts_at: local(&start)?,
                ends_at: end.as_deref().map(local).transpose()?,
                place,
                public,
                attendees: ids,
            };
            let event = hub.add_calendar_event(Caller::Operator, event).await?;
            println!(
                "Đã thêm sự kiện #{}: {} lúc {}.",
                event.id,
                event.title,
                event.starts_at.with_timezone(&tz).format("%d/%m/%Y %H:%M")
            );
        }
        EventCommand::List { days } => {
            let now = hub.clock().now();
            let events = hub
                .calendar(Caller::Operator, now, now + Duration::days(days))
                .await?;
            if events.is_empty() {
                println!("Không có sự kiện nào trong {days} ngày tới.");
            }
            for event in events {
                let place = event.place.as_deref().unwrap_or("");
                println!(
                    "#{:<5} {}  {:<16} {}  {place}",
                    event.id,
                    event.starts_at.with_timezone(&tz).format("%d/%m/%Y %H:%M"),
                    event.kind.label_vi(),
                    event.title
                );
            }
        }
    }
    Ok(())
}

async fn staff_id(hub: &Hub, login: &str) -> anyhow::Result<StaffId> {
    Ok(hub
        .staff_by_login(Caller::Operator, login)
        .await
        .with_context(|| format!("không có cán bộ `{login}`"))?
        .id)
}
