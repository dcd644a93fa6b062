//! Telegram's limits held by two `hdnd` processes together: a fake Bot API on loopback
//! counts what arrives per second, per chat and per group.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use axum::response::IntoResponse;
use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::outbox::{Destination, Target};
use hdnd_hub::{Clock, SystemClock};
use serde_json::{Value, json};

use crate::helpers::{TestDb, contract_tests, start_serving, wait_all_sent};
use crate::outbox::note;

contract_tests!(
    two_processes_together_keep_to_telegrams_limits,
    a_shared_key_booked_beyond_the_horizon_reserves_nothing,
);

/// What the fake Bot API received: (chat, when).
type Log = Arc<Mutex<Vec<(i64, Instant)>>>;

async fn fake_bot_api() -> (String, Log) {
    let log: Log = Arc::default();
    async fn any(State(log): State<Log>, uri: Uri, body: Bytes) -> axum::response::Response {
        // The processes poll for updates too, since a token is set: there are none.
        if uri.path().to_lowercase().ends_with("/getupdates") {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            return axum::Json(json!({ "ok": true, "result": [] })).into_response();
        }
        // And the lease holder sets the bot up: no webhook, the command menus.
        let method = uri
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_lowercase();
        if matches!(method.as_str(), "deletewebhook" | "setmycommands") {
            return axum::Json(json!({ "ok": true, "result": true })).into_response();
        }
        assert!(
            uri.path().to_lowercase().ends_with("/sendmessage"),
            "unexpected call {uri}"
        );
        let request: Value = serde_json::from_slice(&body).expect("a JSON request");
        let chat = match &request["chat_id"] {
            Value::Number(n) => n.as_i64().unwrap(),
            Value::String(s) => s.parse().unwrap(),
            other => panic!("chat_id {other}"),
        };
        log.lock().unwrap().push((chat, Instant::now()));
        let chat_json = if chat < 0 {
            json!({ "id": chat, "type": "group", "title": "Tổ đại biểu" })
        } else {
            json!({ "id": chat, "type": "private", "first_name": "Cử tri" })
        };
        axum::Json(json!({
            "ok": true,
            "result": { "message_id": 1, "date": 1_790_000_000, "chat": chat_json, "text": request["text"] }
        }))
        .into_response()
    }
    let app = Router::new().fallback(any).with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), log)
}

async fn two_processes_together_keep_to_telegrams_limits(db: TestDb) {
    // Arrange: 40 private chats with 2 messages each and one group with 3.
    // The real clock: the `hdnd` processes compare `due_at` with theirs.
    let store = db.open(Arc::new(SystemClock)).await;
    let telegram = |chat: i64| {
        Target::Contacts(vec![Destination {
            channel: ChannelKind::Telegram,
            address: chat.to_string(),
        }])
    };
    let mut notes = Vec::new();
    for chat in 1..=40_i64 {
        for n in 0..2 {
            notes.push(note(&format!("c{chat}-{n}"), telegram(1_000_000 + chat)));
        }
    }
    for n in 0..3 {
        notes.push(note(&format!("g-{n}"), telegram(-100_777)));
    }
    for n in &mut notes {
        n.due_at = SystemClock.now();
    }
    let total = notes.len();
    store.enqueue("pacing", None, &notes).await.unwrap();
    let (api_url, log) = fake_bot_api().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hdnd.toml");
    let text = format!(
        "demo = false\n\n[email]\nfile_dir = \"{}/mail\"\n\n[telegram]\ntoken = \"123456:TEST\"\napi_url = \"{api_url}\"\n\n[delivery]\nbatch_size = 16\npoll_interval_ms = 50\n",
        dir.path().display()
    );
    std::fs::write(&config, text).unwrap();

    // Act
    let mut a = start_serving(dir.path(), &config, &db.url);
    let mut b = start_serving(dir.path(), &config, &db.url);
    wait_all_sent(&store, total as i64).await;
    a.start_kill().unwrap();
    b.start_kill().unwrap();

    // Assert
    let log = log.lock().unwrap().clone();
    assert_eq!(log.len(), total, "each message once");
    let start = log.iter().map(|(_, at)| *at).min().unwrap();
    let second = |at: Instant| at.duration_since(start).as_millis() / 1000;
    let mut per_second: HashMap<u128, usize> = HashMap::new();
    let mut per_chat_second: HashMap<(i64, u128), usize> = HashMap::new();
    for (chat, at) in &log {
        *per_second.entry(second(*at)).or_default() += 1;
        *per_chat_second.entry((*chat, second(*at))).or_default() += 1;
    }
    let busiest = per_second.values().max().copied().unwrap();
    assert!(
        busiest <= 30,
        "{busiest} messages in one second: {per_second:?}"
    );
    assert!(
        per_chat_second.values().all(|n| *n <= 1),
        "a chat got two messages in one second"
    );
    let mut group: Vec<_> = log
        .iter()
        .filter(|(chat, _)| *chat < 0)
        .map(|(_, at)| *at)
        .collect();
    group.sort();
    for pair in group.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(
            gap >= Duration::from_millis(2_900),
            "group messages {gap:?} apart; 20 a minute is one per 3 s"
        );
    }
    let span = log
        .iter()
        .map(|(_, at)| *at)
        .max()
        .unwrap()
        .duration_since(start);
    eprintln!("pacing: {total} messages in {span:?}, busiest second {busiest}");
}

async fn a_shared_key_booked_beyond_the_horizon_reserves_nothing(db: TestDb) {
    use hdnd_hub::delivery::pacing::{PacingSlot, Reservation};
    // Arrange: the channel's overall key, one send a second, with a horizon of 3 s.
    let store = db.open(Arc::new(SystemClock)).await;
    let overall = [PacingSlot {
        key: "telegram".to_owned(),
        every: Duration::from_secs(1),
        destination: false,
    }];
    let horizon = Duration::from_secs(3);

    // Act: book the key ahead until the horizon is reached, then twice more.
    let mut booked = Vec::new();
    for _ in 0..4 {
        booked.push(store.reserve_pacing(&overall, horizon).await.unwrap());
    }
    let beyond = store.reserve_pacing(&overall, horizon).await.unwrap();
    let again = store.reserve_pacing(&overall, horizon).await.unwrap();

    // Assert: the first four wait 0, 1, 2 and 3 s; the next is refused without moving the key.
    for (n, reservation) in booked.iter().enumerate() {
        let Reservation::After(wait) = reservation else {
            panic!("send {n} got {reservation:?}");
        };
        let expected = Duration::from_secs(n as u64);
        assert!(
            *wait <= expected && *wait + Duration::from_millis(300) >= expected,
            "send {n} waits {wait:?}"
        );
    }
    let (Reservation::NotBefore(first), Reservation::NotBefore(second)) = (beyond, again) else {
        panic!("{beyond:?} {again:?}");
    };
    let moved = (second - first).num_milliseconds().abs();
    assert!(
        moved < 300,
        "a refused reservation moved the key by {moved} ms"
    );
}

/// Two instances whose host clocks disagree by an hour still keep one pace on PostgreSQL: the
/// database's clock counts for both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_with_clocks_an_hour_apart_keep_one_pace_on_postgres() {
    use hdnd_hub::delivery::pacing::{PacingSlot, Reservation};
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    // Arrange: instance A's clock is an hour slow.
    let slow = Arc::new(hdnd_hub::ManualClock::new(
        SystemClock.now() - chrono::Duration::hours(1),
    ));
    let a = db.open(slow).await;
    let b = db.open(Arc::new(SystemClock)).await;
    let chat = [PacingSlot {
        key: "telegram:chat".to_owned(),
        every: Duration::from_secs(2),
        destination: false,
    }];

    // Act: A sends, then B at once.
    let first = a
        .reserve_pacing(&chat, Duration::from_secs(10))
        .await
        .unwrap();
    let second = b
        .reserve_pacing(&chat, Duration::from_secs(10))
        .await
        .unwrap();

    // Assert: by host clocks B would see A's slot an hour in the past and send at once.
    assert_eq!(first, Reservation::After(Duration::ZERO));
    let Reservation::After(wait) = second else {
        panic!("{second:?}");
    };
    assert!(
        wait >= Duration::from_millis(1_500),
        "B waits only {wait:?}"
    );
}
