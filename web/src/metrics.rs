//! `/metrics` in Prometheus' text format: requests by route and status (this process), the
//! hub's queues and open cases (the shared database), and the delivery latency this process
//! observed. Off unless `[web] metrics` is `"public"`, or a `metrics_token` is set and sent as
//! `Authorization: Bearer <token>`: the figures say how busy the council is, which is not
//! everyone's business by default.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{LazyLock, Mutex};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hdnd_hub::metrics::{LATENCY_BOUNDS, delivery_latency};

use crate::error::WebError;
use crate::state::AppState;

/// Who may read `/metrics`.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Nobody: `/metrics` is the portal's 404.
    #[default]
    Off,
    /// Anyone.
    Public,
    /// Whoever sends this bearer token.
    Token(String),
}

impl std::fmt::Debug for MetricsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MetricsAccess::Off => "Off",
            MetricsAccess::Public => "Public",
            MetricsAccess::Token(_) => "Token(…)",
        })
    }
}

/// Requests answered, by route template and status; a request that matched no route is
/// `fallback`, so a scanner's paths cannot grow the table.
static REQUESTS: LazyLock<Mutex<BTreeMap<(String, u16), u64>>> = LazyLock::new(Mutex::default);

/// The middleware that counts every request. Telegram's webhook is counted under a name of
/// its own: its path is the operator's, and may be meant to stay unguessable.
pub(crate) async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let matched = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("fallback", MatchedPath::as_str);
    let route = match &state.telegram_webhook {
        Some(hook) if hook.path() == matched => "telegram-webhook".to_owned(),
        _ => matched.to_owned(),
    };
    let response = next.run(request).await;
    let key = (route, response.status().as_u16());
    *REQUESTS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key)
        .or_default() += 1;
    response
}

/// `GET /metrics`
pub(crate) async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let allowed = match &state.metrics {
        MetricsAccess::Off => false,
        MetricsAccess::Public => true,
        MetricsAccess::Token(token) => headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|sent| constant_time_eq(sent.as_bytes(), token.as_bytes())),
    };
    if !allowed {
        return Err(WebError::NotFound);
    }
    let figures = state.hub.figures().await?;
    let mut text = String::new();
    family(
        &mut text,
        "hdnd_http_requests_total",
        "counter",
        "HTTP requests answered, by route template and status.",
    );
    let requests = REQUESTS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for ((route, status), n) in &requests {
        let _ = writeln!(
            text,
            "hdnd_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
            label(route)
        );
    }
    family(
        &mut text,
        "hdnd_outbox_messages",
        "gauge",
        "Notifications in the outbox, by status and channel.",
    );
    for (status, channel, n) in &figures.outbox {
        let _ = writeln!(
            text,
            "hdnd_outbox_messages{{status=\"{status}\",channel=\"{channel}\"}} {n}"
        );
    }
    family(
        &mut text,
        "hdnd_inbound_messages",
        "gauge",
        "Inbound messages, by status; received and failed ones are the backlog.",
    );
    for (status, n) in &figures.inbound {
        let _ = writeln!(
            text,
            "hdnd_inbound_messages{{status=\"{}\"}} {n}",
            status.as_str()
        );
    }
    family(
        &mut text,
        "hdnd_cases_open",
        "gauge",
        "Cases not yet closed.",
    );
    let _ = writeln!(text, "hdnd_cases_open {}", figures.cases_open);
    family(
        &mut text,
        "hdnd_cases_overdue",
        "gauge",
        "Open cases past the date they are expected by.",
    );
    let _ = writeln!(text, "hdnd_cases_overdue {}", figures.cases_overdue);
    family(
        &mut text,
        "hdnd_delivery_latency_seconds",
        "histogram",
        "From a notification being due to its being sent, as this process saw it.",
    );
    for (channel, histogram) in delivery_latency() {
        for (bound, n) in LATENCY_BOUNDS.iter().zip(histogram.buckets) {
            let _ = writeln!(
                text,
                "hdnd_delivery_latency_seconds_bucket{{channel=\"{channel}\",le=\"{bound}\"}} {n}"
            );
        }
        let _ = writeln!(
            text,
            "hdnd_delivery_latency_seconds_bucket{{channel=\"{channel}\",le=\"+Inf\"}} {}",
            histogram.count
        );
        let _ = writeln!(
            text,
            "hdnd_delivery_latency_seconds_sum{{channel=\"{channel}\"}} {}",
            histogram.sum_secs
        );
        let _ = writeln!(
            text,
            "hdnd_delivery_latency_seconds_count{{channel=\"{channel}\"}} {}",
            histogram.count
        );
    }
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

fn family(text: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(text, "# HELP {name} {help}");
    let _ = writeln!(text, "# TYPE {name} {kind}");
}

/// A label value escaped as the text format asks (backslash, quote, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Compares without stopping at the first difference, so the time taken tells nothing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
