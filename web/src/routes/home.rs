//! The home page: what the portal is, the lookup form, the report buckets, the latest answers.

use axum::extract::State;
use axum::response::Html;
use hdnd_hub::CaseFilter;
use hdnd_hub::domain::Bucket;
use serde_json::json;

use crate::error::WebError;
use crate::public::{PublicCaseItem, base};
use crate::state::AppState;

const LATEST: i64 = 5;

pub(crate) async fn show(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    let store = state.hub.store();
    let profile = state.hub.profile();
    let mut stats = [0i64; 3];
    for (status, n) in store.count_cases_by_status(true).await? {
        match status.bucket() {
            Some(Bucket::Resolved) => stats[0] += n,
            Some(Bucket::Explained) => stats[1] += n,
            Some(Bucket::InHand) => stats[2] += n,
            None => {}
        }
    }
    let filter = CaseFilter {
        published: Some(true),
        exclude_to_cao: true,
        by_publication: true,
        limit: LATEST,
        ..CaseFilter::default()
    };
    let latest: Vec<_> = store
        .list_cases(&filter)
        .await?
        .iter()
        .filter_map(|c| PublicCaseItem::from_case(profile, c))
        .collect();
    let mut view = base(&state, "Trang chủ", Some("home"));
    view["stats"] = json!({ "resolved": stats[0], "explained": stats[1], "in_hand": stats[2] });
    view["latest"] = json!(latest);
    Ok(Html(state.views.render("home", &view)?))
}
