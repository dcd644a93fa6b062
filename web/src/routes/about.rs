//! `/gioi-thieu`: who the council is and how to reach it, from the council profile.

use axum::extract::State;
use axum::response::Html;
use chrono::Datelike;
use hdnd_hub::domain::profile::CouncilLevel;
use serde_json::json;

use crate::error::WebError;
use crate::public::{base, vn_date};
use crate::state::AppState;

/// The page: the profile's `[contact]` section, its areas and receiving units, and the
/// council's sessions from today on.
pub(crate) async fn show(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    let profile = state.hub.profile();
    let today = profile.local_date(state.hub.clock().now());
    let contact = &profile.contact;
    let mut view = base(&state, "Giới thiệu, liên hệ", Some("about"));
    view["level"] = json!(match profile.level {
        CouncilLevel::Tinh => "Hội đồng nhân dân cấp tỉnh",
        CouncilLevel::Xa => "Hội đồng nhân dân cấp xã",
    });
    view["contact"] = json!({
        "about": contact.about,
        "address": contact.address,
        "phone": contact.phone,
        // Only digits and a leading + make a `tel:` link; the text is shown as written.
        "phone_link": contact.phone.as_deref().map(|p| {
            p.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect::<String>()
        }),
        "email": contact.email,
        "reception": contact.reception,
    });
    view["areas"] = json!(profile.areas.iter().map(|a| &a.name).collect::<Vec<_>>());
    view["units"] = json!(profile.units.iter().map(|u| &u.name).collect::<Vec<_>>());
    view["sessions"] = json!(
        profile
            .sessions
            .iter()
            .filter(|s| s.date >= today)
            .map(|s| json!({
                "name": s.name,
                "date": vn_date(s.date),
                "iso": s.date.to_string(),
                "year": s.date.year(),
                "regular": s.regular,
            }))
            .collect::<Vec<_>>()
    );
    Ok(Html(state.views.render("about", &view)?))
}
