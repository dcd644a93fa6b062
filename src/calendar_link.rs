//! `hdnd staff calendar-link <login>`: a staff member's secret calendar URL, printed once.

use anyhow::Context;
use hdnd_hub::Hub;
use hdnd_hub::access::Caller;

/// Issues (or rotates) the calendar URL of `login` and prints it under `public_url`.
pub(crate) async fn issue(hub: &Hub, public_url: &str, login: &str) -> anyhow::Result<()> {
    let staff = hub
        .staff_by_login(Caller::Operator, login)
        .await
        .with_context(|| format!("không có cán bộ `{login}`"))?;
    let token = hub
        .issue_calendar_feed(Caller::Operator, &staff.login)
        .await?;
    println!(
        "Lịch công tác riêng của cán bộ {} ({}); đường liên kết cũ (nếu có) đã hết hiệu lực. \
         Ai có đường liên kết này đều xem được lịch, xin đừng chia sẻ:",
        staff.login, staff.display_name
    );
    println!(
        "{}/lich/rieng/{}.ics",
        public_url.trim_end_matches('/'),
        token.expose()
    );
    Ok(())
}
