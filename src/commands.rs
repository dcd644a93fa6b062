//! The short-lived commands: migrate, seed-demo, staff, config check; and the wiring they share
//! with `serve`.

use std::sync::Arc;

use anyhow::Context;
use hdnd_hub::access::Caller;
use hdnd_hub::delivery::notify::{Notifier, StaffRoom};
use hdnd_hub::delivery::outbox::OutboxStatus;
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::{
    ButtonKey, ContactKind, ContactPoint, CouncilProfile, Language, MailKey, NewStaff, Role,
};
use hdnd_hub::files::{BlobStore, FilePolicy, FsBlobStore};
use hdnd_hub::{Hub, SystemClock};
use hdnd_web::Views;

use crate::cli::{Open311Command, OutboxCommand, StaffAdd, StaffCommand};
use crate::settings::{Settings, SettingsError};

/// The council profile named in the settings, or the built-in demo profile.
pub(crate) fn load_profile(settings: &Settings) -> Result<CouncilProfile, SettingsError> {
    match &settings.council.profile {
        Some(path) => Ok(CouncilProfile::load(path)?),
        None => Ok(CouncilProfile::demo()),
    }
}

/// Checks everything that needs no database first, so that a bad setting stops the process
/// before anything is written; then opens (and migrates) the store.
/// What every command that touches the database works with.
pub(crate) struct Service {
    pub(crate) hub: Hub,
    pub(crate) views: Arc<Views>,
    pub(crate) renderer: Arc<Renderer>,
    /// The file store of uploads, at `files.dir`.
    pub(crate) blobs: Arc<dyn BlobStore>,
}

pub(crate) async fn open_hub(settings: &Settings) -> anyhow::Result<(Hub, Arc<Views>)> {
    let service = open_service(settings).await?;
    Ok((service.hub, service.views))
}

pub(crate) async fn open_service(settings: &Settings) -> anyhow::Result<Service> {
    let profile = Arc::new(load_profile(settings)?);
    let views =
        Views::load(Some(&settings.templates.dir)).context("the web templates do not compile")?;
    let renderer = Renderer::load(Some(&settings.templates.dir))
        .context("the email templates do not compile")?;
    let renderer = Arc::new(renderer);
    let store = hdnd_hub::storage::open_with(&settings.database, Arc::new(SystemClock))
        .await
        .with_context(|| {
            format!(
                "cannot open the database {}",
                settings.database.redacted_url()
            )
        })?;
    tracing::info!(
        db.url = %settings.database.redacted_url(),
        council.name = %profile.name,
        "database {} ready",
        settings.database.redacted_url()
    );
    // Relative to the working directory, like the SQLite file.
    let blobs: Arc<dyn BlobStore> = Arc::new(
        FsBlobStore::open(&settings.files.dir)
            .await
            .with_context(|| {
                format!(
                    "cannot open the file store {}",
                    settings.files.dir.display()
                )
            })?,
    );
    let policy = FilePolicy::new(settings.files.limits());
    // Read after the store is opened, so that a data folder that cannot be made is reported
    // as that, not as the key file beneath it.
    let contact_key = settings
        .citizens
        .contact_key()
        .map_err(anyhow::Error::msg)?;
    // The public URL makes a follower's email carry its unsubscribe link; the button key (a
    // sub-key of the contact key, as the hub derives it) signs the buttons staff press.
    let mut notifier = Notifier::new(
        renderer.clone(),
        profile.clone(),
        &settings.email.message_id_domain,
    )
    .with_public_url(&settings.web.public_url)
    .with_button_key(ButtonKey::derive(&contact_key));
    if let Some(mailbox) = &settings.email.mailbox {
        notifier = notifier.with_reply_addresses(MailKey::derive(&contact_key), mailbox);
    }
    if let Some(group) = settings
        .telegram
        .staff_group
        .filter(|_| settings.telegram.enabled())
    {
        notifier = notifier.with_staff_room(StaffRoom {
            chat: group.to_string(),
            language: Language::Vi,
        });
    }
    let hub = Hub::new(store, profile)
        .with_contact_key(contact_key)
        .with_staff_link_ttl(settings.telegram.staff_link_ttl())
        .with_notifier(Arc::new(notifier))
        .with_files(blobs.clone(), policy);
    Ok(Service {
        hub,
        views: Arc::new(views),
        renderer,
        blobs,
    })
}

pub(crate) async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    open_hub(settings).await?;
    println!(
        "Đã áp dụng migrations cho {}.",
        settings.database.redacted_url()
    );
    Ok(())
}

pub(crate) async fn seed_demo(settings: &Settings) -> anyhow::Result<()> {
    let (hub, _) = open_hub(settings).await?;
    let report = crate::demo::seed(&hub, &settings.database)
        .await
        .context("cannot seed the demo data")?;
    println!(
        "Dữ liệu mẫu: thêm {} cán bộ, {} hồ sơ và {} sự kiện trên lịch (phần đã có được giữ nguyên).",
        report.staff_added, report.cases_added, report.events_added
    );
    if report.today_added > 0 {
        println!(
            "Thông báo của {} hồ sơ nhận hôm nay đã vào hàng đợi (`hdnd outbox list`); `hdnd serve` gửi chúng: {}.",
            report.today_added,
            match &settings.email.smtp {
                Some(smtp) => format!("thư đi qua máy chủ SMTP {}", smtp.host),
                None => format!(
                    "thư được ghi thành tệp .eml trong {}/",
                    settings.email.file_dir.display()
                ),
            }
        );
    }
    Ok(())
}

pub(crate) async fn staff(settings: &Settings, command: StaffCommand) -> anyhow::Result<()> {
    let (hub, _) = open_hub(settings).await?;
    match command {
        StaffCommand::Add(args) => {
            let new = new_staff(&hub, *args).await?;
            let staff = hub.add_staff(Caller::Operator, new).await?;
            println!(
                "Đã thêm cán bộ #{} {} ({}).",
                staff.id, staff.login, staff.display_name
            );
        }
        StaffCommand::List => {
            let staff = hub.list_staff(Caller::Operator).await?;
            if staff.is_empty() {
                println!("Chưa có cán bộ nào (thêm bằng `hdnd staff add`).");
            }
            for s in staff {
                let roles: Vec<_> = s.roles.iter().map(|r| r.as_str()).collect();
                println!(
                    "#{:<4} {:<20} {:<28} {}",
                    s.id,
                    s.login,
                    s.display_name,
                    roles.join(",")
                );
            }
        }
        StaffCommand::Link { login } => {
            let staff = hub
                .staff_by_login(Caller::Operator, &login)
                .await
                .with_context(|| format!("không có cán bộ `{login}`"))?;
            let link = hub.issue_staff_link(Caller::Operator, &staff.login).await?;
            let until = link
                .expires_at
                .with_timezone(&hub.profile().time_zone)
                .format("%H:%M ngày %d/%m/%Y");
            println!(
                "Liên kết Telegram cho cán bộ {} ({}), dùng một lần, hết hạn lúc {until}:",
                staff.login, staff.display_name
            );
            match settings.telegram.username() {
                Some(username) => println!("{}", link.deep_link(username)),
                None => {
                    println!("{}", link.start_command());
                    println!(
                        "(Chưa đặt telegram.username nên không có đường liên kết: cán bộ mở bot \
                         của Hội đồng trên Telegram và gửi đúng lệnh trên.)"
                    );
                }
            }
        }
        StaffCommand::CalendarLink { login } => {
            crate::calendar_link::issue(&hub, &settings.web.public_url, &login).await?;
        }
    }
    Ok(())
}

pub(crate) async fn open311(settings: &Settings, command: Open311Command) -> anyhow::Result<()> {
    let (hub, _) = open_hub(settings).await?;
    let open311 = hub.open311();
    match command {
        Open311Command::Key { client } => {
            let key = open311.issue_key(Caller::Operator, &client).await?;
            println!(
                "Khóa API Open311 của ứng dụng {client} (chỉ in ra lần này; khóa cũ, nếu có, \
                 hết hiệu lực):"
            );
            println!("{}", key.expose());
        }
        Open311Command::Revoke { client } => {
            open311
                .revoke_key(Caller::Operator, &client)
                .await
                .with_context(|| format!("ứng dụng `{client}` không có khóa còn hiệu lực"))?;
            println!("Đã thu hồi khóa API Open311 của ứng dụng {client}.");
        }
    }
    Ok(())
}

async fn new_staff(hub: &Hub, args: StaffAdd) -> anyhow::Result<NewStaff> {
    let roles = args
        .roles
        .iter()
        .map(|r| r.parse::<Role>())
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| {
            let known: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
            format!("vai trò hợp lệ: {}", known.join(", "))
        })?;
    let lead = match &args.lead {
        Some(login) => Some(
            hub.staff_by_login(Caller::Operator, login)
                .await
                .with_context(|| format!("không có cán bộ `{login}` để làm lãnh đạo trực tiếp"))?
                .id,
        ),
        None => None,
    };
    let time_zone = match &args.time_zone {
        Some(tz) => tz.parse().map_err(|_| {
            anyhow::anyhow!("`{tz}` không phải múi giờ IANA (ví dụ Asia/Ho_Chi_Minh)")
        })?,
        None => hub.profile().time_zone,
    };
    let language: Language = args.language.parse()?;
    let contacts = [
        (ContactKind::Email, &args.email),
        (ContactKind::Telegram, &args.telegram),
    ]
    .into_iter()
    .filter_map(|(kind, address)| {
        address
            .clone()
            .map(|address| ContactPoint { kind, address })
    })
    .collect();
    Ok(NewStaff {
        login: args.login,
        display_name: args.name,
        roles,
        unit: args.unit,
        lead,
        time_zone,
        language,
        contacts,
        quiet_hours: args.quiet_hours.map(|q| q.parse()).transpose()?,
    })
}

pub(crate) fn config_check(settings: &Settings) -> anyhow::Result<()> {
    let profile = load_profile(settings)?;
    hdnd_hub::delivery::email::EmailChannel::new(&settings.email)
        .context("the [email] settings cannot be used")?;
    hdnd_bot::TelegramChannel::new(&settings.telegram)
        .context("the [telegram] settings cannot be used")?;
    Views::load(Some(&settings.templates.dir)).context("the web templates do not compile")?;
    Renderer::load(Some(&settings.templates.dir)).context("the email templates do not compile")?;
    let file = settings.file.as_ref().map_or_else(
        || "(không có; dùng giá trị mặc định)".to_owned(),
        |f| f.display().to_string(),
    );
    let profile_file = settings
        .council
        .profile
        .as_ref()
        .map_or_else(|| "(mẫu có sẵn)".to_owned(), |f| f.display().to_string());
    let years: Vec<_> = profile.calendar.years().map(|y| y.to_string()).collect();
    println!("Cấu hình hợp lệ.");
    println!("  tệp cấu hình:     {file}");
    println!("  cơ sở dữ liệu:    {}", settings.database.redacted_url());
    println!(
        "  cổng web:         {}:{}",
        settings.web.host, settings.web.port
    );
    println!("  Hội đồng:         {} ({profile_file})", profile.name);
    println!("  lịch làm việc:    {}", years.join(", "));
    println!(
        "  dữ liệu mẫu:      {}",
        if settings.demo() { "bật" } else { "tắt" }
    );
    match &settings.email.smtp {
        Some(smtp) => println!(
            "  thư điện tử:      SMTP {}:{} ({:?})",
            smtp.host,
            smtp.port(),
            smtp.security
        ),
        None => println!(
            "  thư điện tử:      tệp .eml trong {}",
            settings.email.file_dir.display()
        ),
    }
    let telegram = match (settings.telegram.enabled(), settings.telegram.webhook()) {
        (false, _) => "tắt (chưa có telegram.token)".to_owned(),
        (true, None) => "bật, nhận tin bằng long polling".to_owned(),
        (true, Some(webhook)) => format!("bật, nhận tin qua webhook {}", webhook.url),
    };
    println!("  Telegram:         {telegram}");
    // Not errors: the service runs, but deadlines that reach a missing year are "unknown".
    for warning in profile.calendar_warnings(profile.local_date(chrono::Utc::now())) {
        println!("Cảnh báo (warning): {warning}");
    }
    Ok(())
}

pub(crate) async fn outbox(settings: &Settings, command: OutboxCommand) -> anyhow::Result<()> {
    let (hub, _) = open_hub(settings).await?;
    match command {
        OutboxCommand::List { status, limit } => {
            let status = status.map(|s| s.parse::<OutboxStatus>()).transpose()?;
            let (counts, rows) = hub.outbox(Caller::Operator, status, limit).await?;
            let counts: Vec<_> = counts
                .iter()
                .map(|(status, n)| format!("{status}: {n}"))
                .collect();
            println!(
                "Hàng đợi thông báo — {}",
                if counts.is_empty() {
                    "trống".to_owned()
                } else {
                    counts.join(", ")
                }
            );
            for row in rows {
                println!(
                    "#{:<6} {:<10} {:>2} lần  {:<8} {:<32} {}",
                    row.id,
                    row.status.as_str(),
                    row.attempts,
                    row.channel.as_str(),
                    row.shown_address(),
                    row.shown_subject().chars().take(60).collect::<String>()
                );
            }
        }
        OutboxCommand::Show { id } => {
            let row = hub.outbox_row(Caller::Operator, id).await?;
            println!("#{}  {} ({})", row.id, row.status, row.status.label_vi());
            println!("  khóa:          {}", row.dedupe_key);
            println!("  kênh:          {} → {}", row.channel, row.shown_address());
            println!(
                "  loại:          {}{}",
                row.category,
                if row.urgent { " (khẩn)" } else { "" }
            );
            println!("  số lần gửi:    {}", row.attempts);
            println!("  đến hạn:       {}", row.due_at);
            if let Some(at) = row.sent_at {
                println!("  đã gửi lúc:    {at}");
            }
            if let Some(by) = &row.claimed_by {
                println!("  tiến trình:    {by}");
            }
            if let Some(id) = &row.message_id {
                println!("  Message-ID:    {id}");
            }
            if let Some(error) = &row.last_error {
                println!("  lỗi gần nhất:  {error}");
            }
            if let Some(url) = row.shown_list_unsubscribe() {
                println!("  hủy nhận tin:  {url}");
            }
            println!("  tiêu đề:       {}", row.shown_subject());
            println!();
            println!("{}", row.shown_text());
        }
        OutboxCommand::Retry { id } => {
            let row = hub.retry_outbox(Caller::Operator, id).await?;
            println!("Đã đưa thông báo #{} trở lại hàng đợi.", row.id);
        }
    }
    Ok(())
}
