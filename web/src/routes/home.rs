//! The home page: what the portal is, the lookup form, the report buckets, the latest answers.

use axum::extract::State;
use axum::response::Html;
use serde_json::json;

use crate::error::WebError;
use crate::public::{base, items};
use crate::state::AppState;

const LATEST: i64 = 5;

pub(crate) async fn show(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    let catalog = state.hub.catalog();
    let stats = catalog.counts_by_bucket().await?;
    let latest = items(&catalog.latest(LATEST).await?);
    let mut view = base(&state, "Trang chủ", Some("home"));
    view["stats"] = json!({
        "resolved": stats.resolved,
        "explained": stats.explained,
        "in_hand": stats.in_hand,
    });
    view["latest"] = json!(latest);
    Ok(Html(state.views.render("home", &view)?))
}
