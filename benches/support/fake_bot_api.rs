//! A fake Telegram Bot API on 127.0.0.1 for the benches (`#[path]`-included by each).
//!
//! It answers what the bot calls: `getUpdates` long-polls a queue the bench fills,
//! `deleteWebhook` and `setMyCommands` succeed, and `sendMessage` is recorded with the moment it
//! arrived. With [`Limits`] it enforces Telegram's published limits the way a strict server
//! would: in any one second (a sliding window, not a clock second) at most `overall_per_sec`
//! messages in all and `per_chat_per_sec` to one chat; a message past either is refused with
//! Telegram's own 429 answer and does not count.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{Notify, oneshot};

/// The token the benches give the bot.
pub(crate) const TOKEN: &str = "123456:BENCH-token";

/// What Telegram answers a message past its limits.
const TOO_MANY: &str = r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}"#;

const WINDOW: Duration = Duration::from_secs(1);

/// Telegram's limits, enforced over sliding one-second windows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) overall_per_sec: usize,
    pub(crate) per_chat_per_sec: usize,
}

impl Limits {
    /// 30 messages a second overall, 1 a second per chat.
    pub(crate) fn telegram() -> Self {
        Self {
            overall_per_sec: 30,
            per_chat_per_sec: 1,
        }
    }
}

/// One accepted `sendMessage`.
#[derive(Debug, Clone)]
pub(crate) struct Sent {
    pub(crate) chat: i64,
    pub(crate) at: Instant,
}

#[derive(Default)]
struct Inner {
    limits: Option<Limits>,
    /// Accepted messages of the last second, oldest first.
    recent: VecDeque<Instant>,
    recent_per_chat: HashMap<i64, VecDeque<Instant>>,
    sent: Vec<Sent>,
    refused: usize,
    /// Updates not yet acknowledged by an offset: (update_id, JSON).
    pending: Vec<(u32, String)>,
    /// Who waits for the next message to a chat: told the moment it arrives.
    waiting: HashMap<i64, oneshot::Sender<Instant>>,
    next_message_id: i64,
    next_update_id: u32,
}

/// The fake; clones share it.
#[derive(Clone)]
pub(crate) struct FakeBotApi {
    /// Where the bot's `api_url` points.
    pub(crate) url: String,
    inner: Arc<Mutex<Inner>>,
    updates: Arc<Notify>,
}

impl FakeBotApi {
    pub(crate) async fn start(limits: Option<Limits>) -> FakeBotApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let fake = FakeBotApi {
            url: format!("http://{}", listener.local_addr().expect("an address")),
            inner: Arc::new(Mutex::new(Inner {
                limits,
                ..Inner::default()
            })),
            updates: Arc::new(Notify::new()),
        };
        let app = Router::new().fallback(serve).with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.expect("the fake serves") });
        fake
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes an update available to `getUpdates` (`update` writes its JSON for the id the fake
    /// gives it, the next in order, as Telegram's), and returns when it was made available and
    /// a receiver told the moment the next message to `chat` arrives. A waiting long poll is
    /// answered at once.
    pub(crate) fn push(
        &self,
        chat: i64,
        update: impl FnOnce(u32) -> String,
    ) -> (Instant, oneshot::Receiver<Instant>) {
        let (tell, told) = oneshot::channel();
        let available = {
            let mut inner = self.lock();
            inner.next_update_id += 1;
            let id = inner.next_update_id;
            inner.waiting.insert(chat, tell);
            inner.pending.push((id, update(id)));
            Instant::now()
        };
        self.updates.notify_waiters();
        (available, told)
    }

    /// Every accepted message, in the order they arrived.
    pub(crate) fn sent(&self) -> Vec<Sent> {
        self.lock().sent.clone()
    }

    pub(crate) fn sent_count(&self) -> usize {
        self.lock().sent.len()
    }

    /// How many messages were refused with 429.
    pub(crate) fn refused(&self) -> usize {
        self.lock().refused
    }
}

async fn serve(State(fake): State<FakeBotApi>, uri: Uri, body: Bytes) -> Response {
    let arrived = Instant::now();
    // `/bot<token>/<method>`; teloxide writes `SendMessage`, the Bot API takes any case.
    let Some((token, method)) = uri
        .path()
        .strip_prefix("/bot")
        .and_then(|rest| rest.split_once('/'))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if token != TOKEN {
        let refusal = json!({ "ok": false, "error_code": 401, "description": "Unauthorized" });
        return (StatusCode::UNAUTHORIZED, axum::Json(refusal)).into_response();
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match method.to_ascii_lowercase().as_str() {
        "getupdates" => get_updates(&fake, &body).await,
        "sendmessage" => send_message(&fake, &body, arrived),
        _ => axum::Json(json!({ "ok": true, "result": true })).into_response(),
    }
}

fn send_message(fake: &FakeBotApi, body: &Value, arrived: Instant) -> Response {
    let chat = match &body["chat_id"] {
        Value::Number(n) => n.as_i64().unwrap_or_default(),
        Value::String(s) => s.parse().unwrap_or_default(),
        _ => 0,
    };
    let mut inner = fake.lock();
    if let Some(limits) = inner.limits {
        let since = arrived.checked_sub(WINDOW);
        let expired = |at: &Instant| since.is_some_and(|since| *at <= since);
        while inner.recent.front().is_some_and(expired) {
            inner.recent.pop_front();
        }
        let to_chat = inner.recent_per_chat.entry(chat).or_default();
        while to_chat.front().is_some_and(expired) {
            to_chat.pop_front();
        }
        let past_limit = to_chat.len() >= limits.per_chat_per_sec
            || inner.recent.len() >= limits.overall_per_sec;
        if past_limit {
            inner.refused += 1;
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("content-type", "application/json")],
                TOO_MANY,
            )
                .into_response();
        }
        inner.recent.push_back(arrived);
        inner
            .recent_per_chat
            .entry(chat)
            .or_default()
            .push_back(arrived);
    }
    inner.sent.push(Sent { chat, at: arrived });
    if let Some(tell) = inner.waiting.remove(&chat) {
        let _ = tell.send(arrived);
    }
    inner.next_message_id += 1;
    let result = json!({
        "message_id": inner.next_message_id,
        "date": 1_790_000_000,
        "chat": { "id": chat, "type": "private", "first_name": "Cử tri" },
        "text": body["text"],
    });
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

/// Forgets what the offset acknowledges, then answers with what is pending, waiting up to the
/// request's `timeout` for something to come.
async fn get_updates(fake: &FakeBotApi, body: &Value) -> Response {
    if let Some(offset) = body["offset"].as_i64() {
        fake.lock()
            .pending
            .retain(|(id, _)| i64::from(*id) >= offset);
    }
    let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0));
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let pushed = fake.updates.notified();
        tokio::pin!(pushed);
        // Registered before looking, so that a push in between is not missed.
        pushed.as_mut().enable();
        {
            let inner = fake.lock();
            if !inner.pending.is_empty() || tokio::time::Instant::now() >= deadline {
                // At most 100 a call, as Telegram; each as the bytes it was queued with.
                let updates: Vec<&str> = inner
                    .pending
                    .iter()
                    .take(100)
                    .map(|(_, j)| j.as_str())
                    .collect();
                let body = format!(r#"{{"ok":true,"result":[{}]}}"#, updates.join(","));
                return ([("content-type", "application/json")], body).into_response();
            }
        }
        tokio::select! {
            () = &mut pushed => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}
