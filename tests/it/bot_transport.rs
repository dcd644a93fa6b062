//! The Telegram transport by long polling, through the real binary against a fake Bot API on
//! loopback: every update is stored in `inbound` before its offset is sent, a duplicate makes
//! one row, a crash before the acknowledgement stores nothing twice, and of two instances on
//! PostgreSQL exactly one polls until it stops. Then the poller alone, against Telegram's
//! refusals.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sqlx::Connection;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::helpers::{TestDb, contract_tests};

/// The bot of every test here; its id is the digits before the colon.
pub(crate) const TOKEN: &str = "123456:TEST-secret-token";
pub(crate) const BOT_ID: u64 = 123_456;
/// The contact key every test instance shares.
const CONTACT_KEY: &str = "test-contact-key-shared-by-all-instances-0123456789";
/// What the fictional citizen writes: it must never reach a log line.
pub(crate) const TEXT: &str = "Xin chào, đèn ngõ 12 hỏng";

/// One request the fake received.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The path before `/bot<token>/`: each instance gets its own, to tell callers apart.
    pub(crate) prefix: String,
    pub(crate) method: String,
    pub(crate) body: Value,
    pub(crate) started: Instant,
    /// When the answer went out or the caller hung up.
    pub(crate) ended: Option<Instant>,
    /// The update ids a `getUpdates` answer carried.
    pub(crate) delivered: Vec<u32>,
}

/// An acknowledgement: an update that a `getUpdates` offset passed, and whether it was in
/// `inbound` at that moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ack {
    pub(crate) update_id: u32,
    pub(crate) stored: bool,
}

#[derive(Default)]
struct Inner {
    /// Updates not yet acknowledged, as raw JSON, in the order Telegram would send them.
    pending: Vec<(u32, String)>,
    calls: Vec<Call>,
    acks: Vec<Ack>,
    /// `getUpdates` answers to give instead of updates, first to last: (status, body).
    faults: Vec<(u16, String)>,
    /// Answers to give to other methods instead of success, first to last: (method, status,
    /// body).
    method_faults: Vec<(String, u16, String)>,
    /// While set, a `getUpdates` that would acknowledge an update is never answered and
    /// acknowledges nothing: the process dies with its acknowledgement in flight.
    hold_acks: bool,
    in_flight: usize,
    max_in_flight: usize,
    next_message_id: i64,
    /// Files `getFile` knows, by file id, and serves under `/file/bot<token>/files/<id>`.
    files: std::collections::HashMap<String, Vec<u8>>,
}

/// A Bot API on loopback: serves `getUpdates` from a queue (an update is redelivered until an
/// offset passes it), answers every other method with success, and records every call.
#[derive(Clone)]
pub(crate) struct FakeBotApi {
    pub(crate) url: String,
    inner: Arc<Mutex<Inner>>,
    notify: Arc<Notify>,
    /// The database whose `inbound` each acknowledgement is checked against.
    db_url: Option<String>,
}

impl FakeBotApi {
    pub(crate) async fn start(db_url: Option<&str>) -> FakeBotApi {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let fake = FakeBotApi {
            url: format!("http://{}", listener.local_addr().unwrap()),
            inner: Arc::default(),
            notify: Arc::new(Notify::new()),
            db_url: db_url.map(str::to_owned),
        };
        let app = Router::new().fallback(serve).with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    /// Queues an update for `getUpdates`, written exactly as `json`.
    pub(crate) fn push(&self, update_id: u32, json: String) {
        self.inner.lock().unwrap().pending.push((update_id, json));
        self.notify.notify_waiters();
    }

    pub(crate) fn fault(&self, status: u16, body: &str) {
        self.inner
            .lock()
            .unwrap()
            .faults
            .push((status, body.to_owned()));
    }

    /// The next call of `method` answers `status` with `body`.
    pub(crate) fn fail(&self, method: &str, status: u16, body: &str) {
        self.inner
            .lock()
            .unwrap()
            .method_faults
            .push((method.to_owned(), status, body.to_owned()));
    }

    /// A file the chat sent: `getFile` describes it and its download serves `bytes`.
    pub(crate) fn file(&self, file_id: &str, bytes: &[u8]) {
        self.inner
            .lock()
            .unwrap()
            .files
            .insert(file_id.to_owned(), bytes.to_vec());
    }

    /// The calls of `method`, in the order made.
    pub(crate) fn calls_of(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    fn hold_acks(&self, hold: bool) {
        self.inner.lock().unwrap().hold_acks = hold;
    }

    pub(crate) fn calls(&self) -> Vec<Call> {
        self.inner.lock().unwrap().calls.clone()
    }

    pub(crate) fn polls(&self) -> Vec<Call> {
        let calls = self.calls();
        calls
            .into_iter()
            .filter(|c| c.method == "getUpdates")
            .collect()
    }

    fn acks(&self) -> Vec<Ack> {
        self.inner.lock().unwrap().acks.clone()
    }

    fn pending(&self) -> usize {
        self.inner.lock().unwrap().pending.len()
    }

    fn max_in_flight(&self) -> usize {
        self.inner.lock().unwrap().max_in_flight
    }
}

/// Marks a call ended when its answer is built or its caller hangs up (the future dropped).
struct Ending {
    inner: Arc<Mutex<Inner>>,
    call: usize,
    polling: bool,
}

impl Drop for Ending {
    fn drop(&mut self) {
        let mut inner = self.inner.lock().unwrap();
        inner.calls[self.call].ended = Some(Instant::now());
        if self.polling {
            inner.in_flight -= 1;
        }
    }
}

async fn serve(State(fake): State<FakeBotApi>, uri: Uri, body: Bytes) -> Response {
    let path = uri.path();
    let Some((prefix, rest)) = path.split_once("/bot") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some((token, method)) = rest.split_once('/') else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // teloxide writes `SendMessage`; the Bot API takes method names in any case.
    let mut method = method.to_owned();
    if let Some(first) = method.get_mut(..1) {
        first.make_ascii_lowercase();
    }
    let method = method.as_str();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let polling = method == "getUpdates";
    let call = {
        let mut inner = fake.inner.lock().unwrap();
        inner.calls.push(Call {
            prefix: prefix.to_owned(),
            method: method.to_owned(),
            body: body.clone(),
            started: Instant::now(),
            ended: None,
            delivered: Vec::new(),
        });
        if polling {
            inner.in_flight += 1;
            inner.max_in_flight = inner.max_in_flight.max(inner.in_flight);
        }
        inner.calls.len() - 1
    };
    let _ending = Ending {
        inner: fake.inner.clone(),
        call,
        polling,
    };
    if token != TOKEN {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "ok": false, "error_code": 401, "description": "Unauthorized" })),
        )
            .into_response();
    }
    if polling {
        return get_updates(&fake, call, &body).await;
    }
    if prefix.ends_with("/file") {
        let id = method.strip_prefix("files/").unwrap_or_default();
        return match fake.inner.lock().unwrap().files.get(id) {
            Some(bytes) => bytes.clone().into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        };
    }
    let fault = {
        let mut inner = fake.inner.lock().unwrap();
        let at = inner.method_faults.iter().position(|(m, ..)| m == method);
        at.map(|at| inner.method_faults.remove(at))
    };
    if let Some((_, status, body)) = fault {
        return (
            StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/json")],
            body,
        )
            .into_response();
    }
    let result = if method == "getFile" {
        let id = body["file_id"].as_str().unwrap_or_default().to_owned();
        let inner = fake.inner.lock().unwrap();
        let Some(bytes) = inner.files.get(&id) else {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({ "ok": false, "error_code": 400,
                    "description": "Bad Request: invalid file_id" })),
            )
                .into_response();
        };
        json!({ "file_id": id, "file_unique_id": format!("u{id}"),
            "file_size": bytes.len(), "file_path": format!("files/{id}") })
    } else if method == "sendMessage" {
        let mut inner = fake.inner.lock().unwrap();
        inner.next_message_id += 1;
        let chat = match body["chat_id"].as_i64() {
            Some(id) if id < 0 => {
                json!({ "id": id, "type": "supergroup", "title": "Tổ công tác", "is_forum": true })
            }
            _ => json!({ "id": body["chat_id"], "type": "private", "first_name": "Cử tri" }),
        };
        let mut message = json!({ "message_id": inner.next_message_id, "date": 1_790_000_000,
            "chat": chat, "text": body["text"] });
        if let Some(thread) = body.get("message_thread_id") {
            message["message_thread_id"] = thread.clone();
            message["is_topic_message"] = json!(true);
        }
        message
    } else if method == "createForumTopic" {
        // A topic's id is the id of the message that created it.
        let mut inner = fake.inner.lock().unwrap();
        inner.next_message_id += 1;
        json!({ "message_thread_id": inner.next_message_id, "name": body["name"],
            "icon_color": 7_322_096 })
    } else {
        json!(true)
    };
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

async fn get_updates(fake: &FakeBotApi, call: usize, body: &Value) -> Response {
    let fault = {
        let mut inner = fake.inner.lock().unwrap();
        (!inner.faults.is_empty()).then(|| inner.faults.remove(0))
    };
    if let Some((status, body)) = fault {
        return (
            StatusCode::from_u16(status).unwrap(),
            [("content-type", "application/json")],
            body,
        )
            .into_response();
    }
    if let Some(offset) = body["offset"].as_i64() {
        let (acknowledged, held) = {
            let inner = fake.inner.lock().unwrap();
            let acknowledged: Vec<u32> = inner
                .pending
                .iter()
                .map(|(id, _)| *id)
                .filter(|id| i64::from(*id) < offset)
                .collect();
            (acknowledged, inner.hold_acks)
        };
        if held && !acknowledged.is_empty() {
            std::future::pending::<()>().await;
        }
        let stored = match &fake.db_url {
            Some(url) => stored_keys(url).await,
            None => Vec::new(),
        };
        let mut inner = fake.inner.lock().unwrap();
        for id in acknowledged {
            let key = format!("{BOT_ID}:{id}");
            let ack = Ack {
                update_id: id,
                stored: stored.iter().any(|(k, _)| *k == key),
            };
            if !inner.acks.contains(&ack) {
                inner.acks.push(ack);
            }
        }
        inner.pending.retain(|(id, _)| i64::from(*id) >= offset);
    }
    let deadline = Instant::now() + Duration::from_secs(body["timeout"].as_u64().unwrap_or(0));
    loop {
        let notified = fake.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut inner = fake.inner.lock().unwrap();
            if !inner.pending.is_empty() || Instant::now() >= deadline {
                let updates: Vec<String> = inner.pending.iter().map(|(_, j)| j.clone()).collect();
                inner.calls[call].delivered = inner.pending.iter().map(|(id, _)| *id).collect();
                // Written by hand: each update goes out as the bytes it was queued with.
                let body = format!(r#"{{"ok":true,"result":[{}]}}"#, updates.join(","));
                return ([("content-type", "application/json")], body).into_response();
            }
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}

/// The `(external_key, payload)` of every Telegram row in `inbound`, in the order stored.
pub(crate) async fn stored_keys(url: &str) -> Vec<(String, String)> {
    try_stored_keys(url)
        .await
        .unwrap_or_else(|e| panic!("cannot read inbound: {e}"))
}

/// [`stored_keys`], or the error while the binary has not made the database yet.
async fn try_stored_keys(url: &str) -> Result<Vec<(String, String)>, sqlx::Error> {
    Ok(try_stored_payloads(url, "telegram")
        .await?
        .into_iter()
        .map(|(key, payload)| {
            let payload = String::from_utf8(payload).expect("JSON is UTF-8");
            (key, payload)
        })
        .collect())
}

/// The `(external_key, payload)` of every row of `source` in `inbound`, in the order stored.
pub(crate) async fn stored_payloads(url: &str, source: &str) -> Vec<(String, Vec<u8>)> {
    try_stored_payloads(url, source)
        .await
        .unwrap_or_else(|e| panic!("cannot read inbound: {e}"))
}

async fn try_stored_payloads(
    url: &str,
    source: &str,
) -> Result<Vec<(String, Vec<u8>)>, sqlx::Error> {
    const SQL: &str = r#"
        SELECT external_key, payload
        FROM inbound
        WHERE source = $1
        ORDER BY id
    "#;
    let rows: Vec<(String, Option<Vec<u8>>)> = if url.starts_with("sqlite:") {
        let mut db = sqlx::SqliteConnection::connect(url).await?;
        sqlx::query_as(SQL).bind(source).fetch_all(&mut db).await?
    } else {
        let mut db = sqlx::PgConnection::connect(url).await?;
        sqlx::query_as(SQL).bind(source).fetch_all(&mut db).await?
    };
    Ok(rows
        .into_iter()
        .map(|(key, payload)| (key, payload.unwrap_or_default()))
        .collect())
}

/// A private message from a fictional citizen, with odd spacing Telegram's own JSON does not
/// have, to show it is kept byte for byte.
pub(crate) fn message_update(update_id: u32, chat_id: i64, text: &str) -> String {
    let message = json!({
        "message_id": update_id,
        "date": 1_790_000_000,
        "chat": { "id": chat_id, "type": "private", "first_name": "Cử tri" },
        "from": { "id": chat_id, "is_bot": false, "first_name": "Cử tri", "language_code": "vi" },
        "text": text,
    });
    format!(r#"{{"update_id": {update_id},  "message":{message}}}"#)
}

/// One `hdnd serve` whose Bot API is `api_url`; its log goes to a file.
pub(crate) struct Instance {
    child: tokio::process::Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Instance {
    pub(crate) fn start(database_url: &str, api_url: &str) -> Instance {
        Self::start_with(database_url, api_url, "")
    }

    /// [`Instance::start`] with more lines for the `[telegram]` section.
    pub(crate) fn start_with(database_url: &str, api_url: &str, telegram: &str) -> Instance {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("hdnd.toml");
        std::fs::write(
            &config,
            format!(
                "demo = false\n\n[telegram]\ntoken = \"{TOKEN}\"\napi_url = \"{api_url}\"\npoll_timeout_secs = 1\nleader_renew_ms = 300\n{telegram}"
            ),
        )
        .unwrap();
        let log = dir.path().join("hdnd.log");
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_hdnd"))
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("HDND_CONFIG")
            .env("HDND_DATABASE__URL", database_url)
            // One key for every instance, as a deployment of several must have: a staff
            // button signed by one instance verifies on the next.
            .env("HDND_CITIZENS__CONTACT_KEY", CONTACT_KEY)
            // Everything the transport says, to check that none of it shows the token or a
            // message's text.
            .env("RUST_LOG", "info,hdnd_bot=trace,hdnd_hub=debug,sqlx=warn")
            .args(["--config", config.to_str().unwrap(), "serve", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        Instance {
            child,
            log,
            _dir: dir,
        }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The portal's `host:port`, once the log names it.
    pub(crate) fn portal(&self) -> Option<String> {
        let log = self.log();
        let at = log.find("portal at http://")? + "portal at http://".len();
        let address = &log[at..];
        Some(address[..address.find('/')?].to_owned())
    }

    pub(crate) fn sigterm(&self) {
        let pid = self.child.id().expect("running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub(crate) async fn exit_code(&mut self) -> Option<i32> {
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("hdnd exits within 30 s")
            .unwrap()
            .code()
    }

    /// The log holds neither the token's secret nor what the citizen wrote.
    pub(crate) fn assert_log_is_clean(&self) {
        let log = self.log();
        let secret = TOKEN.split_once(':').unwrap().1;
        assert!(!log.contains(secret), "the log shows the token:\n{log}");
        assert!(
            !log.contains(TEXT),
            "the log shows a message's text:\n{log}"
        );
    }
}

/// Waits (at most 30 s) until `done`, showing `what` and the instances' logs if it never is.
pub(crate) async fn wait_for(
    what: &str,
    instances: &[&Instance],
    mut done: impl AsyncFnMut() -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        if Instant::now() > deadline {
            let logs: Vec<String> = instances.iter().map(|i| i.log()).collect();
            panic!(
                "gave up waiting for {what}; logs:\n{}",
                logs.join("\n----\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

contract_tests!(
    each_update_is_stored_before_its_offset_is_sent_and_a_duplicate_makes_one_row,
    a_crash_after_storing_and_before_acknowledging_stores_nothing_twice,
    a_start_message_polled_from_telegram_is_answered_in_that_chat,
    a_pressed_button_is_answered_at_once_and_its_keyboard_removed_once,
);

async fn a_start_message_polled_from_telegram_is_answered_in_that_chat(db: TestDb) {
    // Arrange
    let fake = FakeBotApi::start(None).await;
    let app = Instance::start(&db.url, &format!("{}/e2e", fake.url));
    wait_for("the first poll", &[&app], async || !fake.polls().is_empty()).await;

    // Act: the update arrives by getUpdates, the inbound worker answers into the outbox and
    // the delivery worker sends the answer.
    fake.push(31, message_update(31, 4242, "/start"));
    wait_for("the answer", &[&app], async || {
        fake.calls().iter().any(|c| c.method == "sendMessage")
    })
    .await;

    // Assert: one answer, to that chat, in Vietnamese first, through the same Bot API.
    let sent: Vec<Call> = fake
        .calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage")
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].prefix, "/e2e");
    assert_eq!(sent[0].body["chat_id"], json!(4242));
    let text = sent[0].body["text"].as_str().unwrap();
    assert!(
        text.starts_with("Xin chào!") && text.contains("Hội đồng nhân dân"),
        "{text}"
    );
    app.assert_log_is_clean();
}

async fn a_pressed_button_is_answered_at_once_and_its_keyboard_removed_once(db: TestDb) {
    // Arrange: the welcome, with its button, is on the screen.
    let fake = FakeBotApi::start(None).await;
    let app = Instance::start(&db.url, &fake.url);
    fake.push(41, message_update(41, 4242, "/start"));
    wait_for("the welcome", &[&app], async || {
        !fake.calls_of("sendMessage").is_empty()
    })
    .await;
    let welcome = &fake.calls_of("sendMessage")[0];
    assert_eq!(
        welcome.body["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        json!("n:new")
    );

    // Act: the citizen presses it, and a flaky Bot API delivers the press twice.
    let press = json!({ "update_id": 42, "callback_query": {
        "id": "7310000000000042", "chat_instance": "-1",
        "from": { "id": 4242, "is_bot": false, "first_name": "Cử tri" },
        "message": { "message_id": 1, "date": 1_790_000_000, "text": "…",
            "chat": { "id": 4242, "type": "private", "first_name": "Cử tri" } },
        "data": "n:new" } })
    .to_string();
    fake.push(42, press.clone());
    fake.push(42, press);
    wait_for("the first step and the receipt", &[&app], async || {
        fake.calls_of("sendMessage").len() == 2
            && !fake.calls_of("editMessageReplyMarkup").is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Assert: the spinner is stopped and the keyboard removed, once; the dialogue's first
    // step comes as a new message.
    let answered = fake.calls_of("answerCallbackQuery");
    assert_eq!(answered.len(), 1, "{answered:?}");
    assert_eq!(
        answered[0].body["callback_query_id"],
        json!("7310000000000042")
    );
    let edited = fake.calls_of("editMessageReplyMarkup");
    assert_eq!(edited.len(), 1, "{edited:?}");
    assert_eq!(edited[0].body["chat_id"], json!(4242));
    assert_eq!(edited[0].body["message_id"], json!(1));
    assert_eq!(edited[0].body["reply_markup"]["inline_keyboard"], json!([]));
    let step = &fake.calls_of("sendMessage")[1];
    assert!(
        step.body["text"].as_str().unwrap().contains("loại"),
        "{:?}",
        step.body["text"]
    );
    app.assert_log_is_clean();
}

async fn each_update_is_stored_before_its_offset_is_sent_and_a_duplicate_makes_one_row(db: TestDb) {
    // Arrange: update 1 is queued twice in one batch, as a flaky Bot API might send it.
    let fake = FakeBotApi::start(Some(&db.url)).await;
    let app = Instance::start(&db.url, &format!("{}/a", fake.url));
    wait_for("the first poll", &[&app], async || !fake.polls().is_empty()).await;
    let first = message_update(1, 4242, TEXT);
    let second = message_update(2, 4343, "Cảm ơn");
    fake.push(1, first.clone());
    fake.push(1, first.clone());
    fake.push(2, second.clone());

    // Act
    wait_for("both updates acknowledged", &[&app], async || {
        fake.pending() == 0
    })
    .await;
    let rows = stored_keys(&db.url).await;

    // Assert: one row per update, each the bytes Telegram sent; each stored before the offset
    // that acknowledged it was sent.
    assert_eq!(
        rows,
        [
            (format!("{BOT_ID}:1"), first),
            (format!("{BOT_ID}:2"), second),
        ]
    );
    assert_eq!(
        fake.acks(),
        [
            Ack {
                update_id: 1,
                stored: true
            },
            Ack {
                update_id: 2,
                stored: true
            },
        ]
    );
    let polls = fake.polls();
    assert_eq!(
        polls[0].body.get("offset"),
        None,
        "the first poll asks for all"
    );
    let after = polls
        .iter()
        .find(|c| c.delivered.contains(&2))
        .and_then(|delivering| polls.iter().find(|c| c.started > delivering.started))
        .expect("a poll after the batch");
    assert_eq!(after.body["offset"], json!(3), "last update id + 1");
    for poll in &polls {
        assert_eq!(poll.body["timeout"], json!(1));
        assert_eq!(
            poll.body["allowed_updates"],
            json!(["message", "edited_message", "callback_query"])
        );
    }
    app.assert_log_is_clean();
}

async fn a_crash_after_storing_and_before_acknowledging_stores_nothing_twice(db: TestDb) {
    // Arrange: the first process stores update 7, then dies with its acknowledgement in
    // flight (the fake never answers it, and Telegram never learnt the offset).
    let fake = FakeBotApi::start(Some(&db.url)).await;
    fake.hold_acks(true);
    fake.push(7, message_update(7, 4242, TEXT));
    let mut first = Instance::start(&db.url, &format!("{}/first", fake.url));
    wait_for("update 7 stored", &[&first], async || {
        try_stored_keys(&db.url)
            .await
            .is_ok_and(|rows| rows.len() == 1)
    })
    .await;
    wait_for("the acknowledgement in flight", &[&first], async || {
        fake.polls()
            .iter()
            .any(|c| c.body["offset"] == json!(8) && c.ended.is_none())
    })
    .await;
    first.child.kill().await.unwrap();
    fake.hold_acks(false);

    // Act: a new process is handed update 7 again.
    let second = Instance::start(&db.url, &format!("{}/second", fake.url));
    wait_for("update 7 acknowledged", &[&second], async || {
        fake.pending() == 0
    })
    .await;

    // Assert
    let deliveries = fake
        .polls()
        .iter()
        .filter(|c| c.delivered.contains(&7))
        .map(|c| c.prefix.clone())
        .collect::<Vec<_>>();
    assert_eq!(deliveries, ["/first", "/second"], "delivered to each once");
    assert_eq!(stored_keys(&db.url).await.len(), 1, "stored once");
    assert_eq!(
        fake.acks(),
        [Ack {
            update_id: 7,
            stored: true
        }]
    );
    second.assert_log_is_clean();
}

/// Polls from `prefix`.
fn polls_from(fake: &FakeBotApi, prefix: &str) -> Vec<Call> {
    fake.polls()
        .into_iter()
        .filter(|c| c.prefix == prefix)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_instances_on_postgres_one_polls_and_the_other_takes_over_after_sigterm() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    // Arrange: migrate once, so that the two start side by side on a ready database.
    let _ = db.open(Arc::new(hdnd_hub::SystemClock)).await;
    let fake = FakeBotApi::start(Some(&db.url)).await;
    let mut a = Instance::start(&db.url, &format!("{}/a", fake.url));
    let mut b = Instance::start(&db.url, &format!("{}/b", fake.url));
    wait_for("a first poll", &[&a, &b], async || !fake.polls().is_empty()).await;
    // Several renewals (300 ms) and long polls (1 s) of both.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Assert: one caller only.
    let leader = fake.polls()[0].prefix.clone();
    let (standby_prefix, holder, standby) = if leader == "/a" {
        ("/b", &mut a, &b)
    } else {
        ("/a", &mut b, &a)
    };
    let before = polls_from(&fake, &leader);
    assert!(before.len() >= 3, "the leader keeps polling: {before:?}");
    assert!(
        polls_from(&fake, standby_prefix).is_empty(),
        "the standby polled too"
    );
    fake.push(1, message_update(1, 4242, TEXT));
    wait_for("update 1 acknowledged", &[&*holder, standby], async || {
        fake.pending() == 0
    })
    .await;

    // Act: the leader stops.
    holder.sigterm();
    assert_eq!(holder.exit_code().await, Some(0));
    wait_for("the standby polling", &[standby], async || {
        !polls_from(&fake, standby_prefix).is_empty()
    })
    .await;
    fake.push(2, message_update(2, 4242, "Cảm ơn"));
    wait_for("update 2 acknowledged", &[standby], async || {
        fake.pending() == 0
    })
    .await;

    // Assert: the standby's first poll began after the leader's last one ended; never two
    // at once; each update stored once.
    let last_of_leader = polls_from(&fake, &leader)
        .iter()
        .filter_map(|c| c.ended)
        .max()
        .unwrap();
    let first_of_standby = polls_from(&fake, standby_prefix)[0].started;
    assert!(first_of_standby >= last_of_leader);
    assert_eq!(fake.max_in_flight(), 1);
    let keys: Vec<String> = stored_keys(&db.url)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, [format!("{BOT_ID}:1"), format!("{BOT_ID}:2")]);
    holder.assert_log_is_clean();
    standby.assert_log_is_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poller_waits_out_a_refused_token_a_5xx_and_flood_control_then_stores_the_update() {
    use hdnd_bot::TelegramSettings;
    use hdnd_bot::poller::{LEASE_NAME, Pauses, Poller};
    use hdnd_hub::inbound::{InboundSettings, InboundWorker};
    use hdnd_hub::leader::Leader;

    // Arrange: three refusals of the token, a 502, a 429 asking for one second, then updates.
    let logs = crate::helpers::captured_logs();
    let db = TestDb::sqlite().await;
    let store = db.open(Arc::new(hdnd_hub::SystemClock)).await;
    let fake = FakeBotApi::start(None).await;
    let unauthorized = r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#;
    for _ in 0..3 {
        fake.fault(401, unauthorized);
    }
    fake.fault(502, "<html>Bad Gateway</html>");
    fake.fault(
        429,
        r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}"#,
    );
    fake.push(5, message_update(5, 4242, TEXT));
    let settings = TelegramSettings {
        token: Some(TOKEN.to_owned()),
        api_url: Some(format!("{}/faults", fake.url)),
        poll_timeout_secs: 1,
        ..TelegramSettings::default()
    };
    let inbound = InboundWorker::new(store.clone(), InboundSettings::default());
    let poller = Poller::new(&settings, inbound)
        .unwrap()
        .unwrap()
        .with_pauses(Pauses {
            backoff_base: Duration::from_millis(50),
            backoff_max: Duration::from_millis(200),
            refused_token: Duration::from_millis(100),
            flood: Duration::from_secs(5),
        });
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let leader = Leader::new(store.clone(), LEASE_NAME, Duration::from_millis(300));
    let running = tokio::spawn(leader.run_until_stopped(stopped, move |leadership| {
        poller.clone().run_until_lost(leadership)
    }));

    // Act
    wait_for("update 5 stored", &[], async || {
        stored_keys(&db.url).await.len() == 1
    })
    .await;
    stop.send(true).unwrap();
    running.await.unwrap();

    // Assert: every refusal was asked about once more, the flood wait was kept, the refused
    // token was logged once as an error, and no line shows the token or the text.
    let polls = polls_from(&fake, "/faults");
    assert!(polls.len() >= 6, "{polls:?}");
    let flood_answered = polls[4].ended.unwrap();
    assert!(polls[5].started - flood_answered >= Duration::from_millis(950));
    let logs = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    let refusals = logs
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("refuses the token of bot 123456"))
        .count();
    assert_eq!(refusals, 1, "{logs}");
    assert!(logs.contains("HTTP 502"), "the 5xx is logged");
    assert!(!logs.contains(TOKEN.split_once(':').unwrap().1));
    assert!(!logs.contains(TEXT));
}
