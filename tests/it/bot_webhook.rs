//! Telegram's webhook, through the real binary against the fake Bot API on loopback: the
//! instance sets the webhook with its secret and never polls; a request without the secret (or
//! with a wrong one) is refused and stores nothing; an update is in `inbound` before its 200; a
//! replay makes one row; `/start` posted to the webhook is answered. Then the route alone, for
//! what Telegram should never send (too large, not an update, GET) and a store that fails; and
//! long polling, which deletes a leftover webhook first; and the command menus both modes set.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use hdnd_hub::inbound::{InboundSettings, InboundWorker, TelegramWebhook};
use hdnd_web::{AppState, Views};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::bot_transport::{
    BOT_ID, FakeBotApi, Instance, TEXT, message_update, stored_keys, wait_for,
};
use crate::helpers::{TestDb, contract_tests, hub_on};
use crate::http::post;

/// The fictional webhook secret of every test here.
const SECRET: &str = "Wh00k_secret-for-tests";
const PATH: &str = "/telegram/webhook";
const HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

contract_tests!(
    in_webhook_mode_updates_are_stored_before_their_200_and_answered_and_nothing_polls,
    the_webhook_route_refuses_what_is_not_an_update_and_answers_500_when_the_store_fails,
    long_polling_deletes_a_leftover_webhook_and_both_modes_set_the_menus_in_both_languages,
);

fn webhook_settings() -> String {
    format!("webhook_url = \"https://hdnd.example{PATH}\"\nwebhook_secret = \"{SECRET}\"\n")
}

/// The setMyCommands bodies expected from the command table, Vietnamese by default.
fn expected_menus() -> Vec<Value> {
    use hdnd_bot::commands::Command;
    use hdnd_hub::domain::Language;
    // The citizens' menu: everyone's commands, never a staff command.
    let commands = |language| -> Vec<Value> {
        Command::visible(false)
            .map(|c| json!({ "command": c.name(), "description": c.description(language) }))
            .collect()
    };
    vec![
        json!({ "commands": commands(Language::Vi), "scope": { "type": "all_private_chats" } }),
        json!({ "commands": commands(Language::En), "scope": { "type": "all_private_chats" },
            "language_code": "en" }),
    ]
}

async fn in_webhook_mode_updates_are_stored_before_their_200_and_answered_and_nothing_polls(
    db: TestDb,
) {
    // Arrange
    let fake = FakeBotApi::start(None).await;
    let app = Instance::start_with(&db.url, &format!("{}/hook", fake.url), &webhook_settings());
    wait_for("setWebhook and the portal", &[&app], async || {
        !fake.calls_of("setWebhook").is_empty() && app.portal().is_some()
    })
    .await;
    let portal = app.portal().unwrap();
    let update = message_update(51, 4242, TEXT);

    // Act and assert: without the secret, or with a wrong one, nothing is stored.
    for headers in [
        vec![("Content-Type", "application/json")],
        vec![
            (HEADER, "Wh00k_secret-for-test"),
            ("Content-Type", "application/json"),
        ],
        vec![(HEADER, ""), ("Content-Type", "application/json")],
    ] {
        let refused = post(&portal, PATH, &headers, update.as_bytes()).await;
        assert_eq!(refused.status, 401, "{headers:?}");
        assert_eq!(refused.body, "", "{headers:?}");
    }
    assert!(stored_keys(&db.url).await.is_empty());

    // With it: stored, byte for byte, by the time the 200 arrives.
    let with_secret = [(HEADER, SECRET), ("Content-Type", "application/json")];
    let accepted = post(&portal, PATH, &with_secret, update.as_bytes()).await;
    assert_eq!(accepted.status, 200);
    assert_eq!(accepted.body, "", "a body could carry a Bot API method");
    assert_eq!(
        stored_keys(&db.url).await,
        [(format!("{BOT_ID}:51"), update.clone())]
    );

    // Telegram retries the same update: 200 again, one row.
    let replay = post(&portal, PATH, &with_secret, update.as_bytes()).await;
    assert_eq!(replay.status, 200);
    assert_eq!(stored_keys(&db.url).await.len(), 1);

    // /start through the webhook is answered in that chat, through the Bot API.
    let start = message_update(52, 5151, "/start");
    assert_eq!(
        post(&portal, PATH, &with_secret, start.as_bytes())
            .await
            .status,
        200
    );
    wait_for("the answer to /start", &[&app], async || {
        fake.calls_of("sendMessage")
            .iter()
            .any(|c| c.body["chat_id"] == json!(5151))
    })
    .await;
    let answer = fake
        .calls_of("sendMessage")
        .into_iter()
        .find(|c| c.body["chat_id"] == json!(5151))
        .unwrap();
    assert!(
        answer.body["text"]
            .as_str()
            .unwrap()
            .starts_with("Xin chào!"),
        "{answer:?}"
    );

    // Assert: setWebhook once, with the URL, the secret and the handled updates; longer than
    // a poll timeout (1 s) went by, and nothing polled or deleted the webhook.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let set = fake.calls_of("setWebhook");
    assert_eq!(set.len(), 1, "{set:?}");
    assert_eq!(set[0].prefix, "/hook");
    assert_eq!(
        set[0].body,
        json!({
            "url": format!("https://hdnd.example{PATH}"),
            "secret_token": SECRET,
            "allowed_updates": ["message", "edited_message", "callback_query"],
            "drop_pending_updates": false,
        })
    );
    assert!(fake.polls().is_empty(), "{:?}", fake.polls());
    assert!(fake.calls_of("deleteWebhook").is_empty());
    let menus: Vec<Value> = fake
        .calls_of("setMyCommands")
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(menus, expected_menus());
    app.assert_log_is_clean();
    assert!(
        !app.log().contains(SECRET),
        "the log shows the webhook secret"
    );
}

async fn the_webhook_route_refuses_what_is_not_an_update_and_answers_500_when_the_store_fails(
    db: TestDb,
) {
    // Arrange: the portal's router with a webhook, no socket.
    let (hub, _) = hub_on(&db).await;
    let store = hub.store().clone();
    let inbound = InboundWorker::new(store.clone(), InboundSettings::default());
    let state = AppState {
        hub,
        views: Arc::new(Views::builtin()),
        telegram_webhook: Some(TelegramWebhook::new(BOT_ID, PATH, SECRET, inbound)),
        public_url: None,
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    };
    let app = hdnd_web::router(state);
    let send = async |method: &str, secret: Option<&str>, body: Vec<u8>| -> StatusCode {
        let mut request = Request::builder().method(method).uri(PATH);
        if let Some(secret) = secret {
            request = request.header(HEADER, secret);
        }
        let request = request.body(Body::from(body)).unwrap();
        app.clone().oneshot(request).await.unwrap().status()
    };
    let update = message_update(61, 4242, TEXT).into_bytes();

    // Act and assert
    assert_eq!(
        send("POST", Some(SECRET), b"{\"message\":{}}".to_vec()).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        send("POST", Some(SECRET), b"not json".to_vec()).await,
        StatusCode::BAD_REQUEST
    );
    let mut large = br#"{"update_id":62,"message":{"text":""#.to_vec();
    large.resize(TelegramWebhook::BODY_LIMIT + 1, b'a');
    large.extend_from_slice(br#""}}"#);
    assert_eq!(
        send("POST", Some(SECRET), large).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // Too large, but without the secret: refused for the secret, before the body is read.
    assert_eq!(
        send("POST", None, vec![b'a'; TelegramWebhook::BODY_LIMIT + 1]).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send("GET", Some(SECRET), Vec::new()).await,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert!(stored_keys(&db.url).await.is_empty(), "nothing stored");
    assert_eq!(
        send("POST", Some(SECRET), update.clone()).await,
        StatusCode::OK
    );
    assert_eq!(stored_keys(&db.url).await.len(), 1);

    // The store fails: 500, so that Telegram sends the update again.
    store.close().await;
    let next = message_update(63, 4242, "Cảm ơn").into_bytes();
    assert_eq!(
        send("POST", Some(SECRET), next).await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

async fn long_polling_deletes_a_leftover_webhook_and_both_modes_set_the_menus_in_both_languages(
    db: TestDb,
) {
    // Arrange: a webhook is still set (the first poll says so), and the Vietnamese menu fails
    // once.
    let fake = FakeBotApi::start(None).await;
    fake.fault(
        409,
        r#"{"ok":false,"error_code":409,"description":"Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}"#,
    );
    fake.fail(
        "setMyCommands",
        500,
        r#"{"ok":false,"error_code":500,"description":"Internal Server Error"}"#,
    );

    // Act
    let mut first = Instance::start(&db.url, &format!("{}/poll", fake.url));
    wait_for("polling after the 409", &[&first], async || {
        fake.polls().len() >= 2
    })
    .await;
    fake.push(71, message_update(71, 4242, "/start"));
    wait_for("the answer to /start", &[&first], async || {
        !fake.calls_of("sendMessage").is_empty()
    })
    .await;

    // Assert: deleteWebhook (keeping pending updates) before the first poll, and again after
    // the 409 named the webhook, before the next poll.
    let calls = fake.calls();
    let order: Vec<&str> = calls
        .iter()
        .map(|c| c.method.as_str())
        .filter(|m| matches!(*m, "deleteWebhook" | "getUpdates"))
        .take(4)
        .collect();
    assert_eq!(
        order,
        ["deleteWebhook", "getUpdates", "deleteWebhook", "getUpdates"]
    );
    for delete in fake.calls_of("deleteWebhook") {
        assert_eq!(delete.body, json!({ "drop_pending_updates": false }));
    }
    assert!(fake.calls_of("setWebhook").is_empty());
    // Both menus asked for once; the failure logged as a warning, and not retried at once.
    let menus: Vec<Value> = fake
        .calls_of("setMyCommands")
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(menus, expected_menus());
    let log = first.log();
    assert!(
        log.lines().any(|l| l.contains("WARN")
            && l.contains("cannot set the bot's commands for all_private_chats (default)")),
        "{log}"
    );
    first.assert_log_is_clean();

    // Act: the next start sets them again.
    first.sigterm();
    assert_eq!(first.exit_code().await, Some(0));
    let second = Instance::start(&db.url, &format!("{}/again", fake.url));
    wait_for("the menus set again", &[&second], async || {
        fake.calls_of("setMyCommands")
            .iter()
            .filter(|c| c.prefix == "/again")
            .count()
            == 2
    })
    .await;
    let again: Vec<Value> = fake
        .calls_of("setMyCommands")
        .into_iter()
        .filter(|c| c.prefix == "/again")
        .map(|c| c.body)
        .collect();
    assert_eq!(again, expected_menus());
    second.assert_log_is_clean();
}
