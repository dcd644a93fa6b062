//! Liveness and readiness for operators and load balancers.

use axum::extract::State;
use axum::http::StatusCode;

use crate::state::AppState;

/// The process answers.
pub(crate) async fn live() -> &'static str {
    "ok"
}

/// The database answers too.
pub(crate) async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.hub.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error.message = %e, "readiness check: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
