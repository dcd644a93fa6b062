//! Long polling: fetches updates with the Bot API's `getUpdates` and stores each one in
//! `inbound`, as the JSON Telegram sent, before acknowledging it.
//!
//! Telegram acknowledges an update when a later `getUpdates` asks for an `offset` past it, and
//! then forgets it. So the next offset (the last update id + 1) is sent only once every update
//! of the batch is stored: a crash in between costs a redelivery, which the store's unique key
//! turns into a replay that changes nothing. The offset lives in memory only; a new process,
//! or the instance taking over the lease, starts without one and Telegram resends what was
//! never acknowledged.
//!
//! Only one process may poll (a second `getUpdates` caller gets 409 Conflict): the poller runs
//! as the job of a leader lease ([`hdnd_hub::leader::Leader`]) and stops as soon as the lease
//! is lost. `getUpdates` also answers 409 while a webhook is set (left by webhook mode, or by
//! another program with the same token), so the poller deletes the webhook before its first
//! poll and whenever Telegram names a webhook in a 409; pending updates are kept.
//!
//! The poller fetches `getUpdates` itself, with the HTTP client teloxide brings, rather than
//! through teloxide's types: parsing into them and serialising back would drop the fields
//! teloxide does not know and change the bytes we keep as the record of what arrived.

use std::fmt;
use std::time::Duration;

use hdnd_hub::domain::{ExternalKey, InboundSource, NewInbound};
use hdnd_hub::inbound::InboundWorker;
use hdnd_hub::leader::Leadership;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::api::{BotApi, cut, method_url, network};
use crate::channel::TelegramSetupError;
use crate::config::TelegramSettings;

/// The updates the bot handles; Telegram sends no others.
pub const ALLOWED_UPDATES: [&str; 3] = ["message", "edited_message", "callback_query"];

/// The name of the leader lease under which one instance polls.
pub const LEASE_NAME: &str = "telegram-poller";

/// How long the poller waits after each kind of trouble.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pauses {
    /// The first wait after a network error, a 5xx or a store that cannot write; each next
    /// one doubles (with jitter), up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Between tries while Telegram refuses the token (401, 404): an operator must fix the
    /// setting, and asking every second would only fill the log.
    pub refused_token: Duration,
    /// After a 429 without `retry_after`.
    pub flood: Duration,
}

impl Default for Pauses {
    fn default() -> Self {
        Self {
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            refused_token: Duration::from_secs(300),
            flood: Duration::from_secs(5),
        }
    }
}

/// The next `getUpdates` offset: one past the highest update id stored, or none before the
/// first batch (Telegram then sends everything it has not had acknowledged).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Offset(Option<i64>);

impl Offset {
    pub fn get(self) -> Option<i64> {
        self.0
    }

    /// Moves past a batch whose updates are all stored. An update id below the offset (a
    /// redelivery) never moves it back.
    pub fn stored(&mut self, update_ids: impl IntoIterator<Item = u32>) {
        if let Some(highest) = update_ids.into_iter().max() {
            let next = i64::from(highest) + 1;
            self.0 = Some(self.0.map_or(next, |current| current.max(next)));
        }
    }
}

/// One update as Telegram sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawUpdate {
    pub update_id: u32,
    /// The update's JSON, byte for byte.
    pub json: Vec<u8>,
}

/// Why a `getUpdates` call brought no updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollError {
    /// 429: wait this long before asking again.
    Flood(Option<Duration>),
    /// 401 or 404: Telegram does not know the token.
    TokenRefused(u16),
    /// 409 because a webhook is set: polling works only once it is deleted.
    WebhookActive,
    /// Anything worth retrying after a backoff: network trouble, 5xx, 409 (another caller),
    /// an answer that is not the Bot API's. The reason never holds the token.
    Failed(String),
}

/// What a `getUpdates` answer holds.
#[derive(Debug, Default)]
pub struct Batch {
    pub updates: Vec<RawUpdate>,
    /// Entries without a usable `update_id`, which cannot be stored under a key.
    pub skipped: usize,
}

#[derive(Deserialize)]
struct Reply<'a> {
    ok: bool,
    #[serde(borrow, default)]
    result: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    error_code: Option<u16>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<Parameters>,
}

#[derive(Deserialize)]
struct Parameters {
    #[serde(default)]
    retry_after: Option<u64>,
}

#[derive(Deserialize)]
struct UpdateId {
    update_id: u32,
}

/// Reads a `getUpdates` answer: its HTTP status and body.
pub fn read_reply(status: u16, body: &[u8]) -> Result<Batch, PollError> {
    let reply: Option<Reply<'_>> = serde_json::from_slice(body).ok();
    let code = reply.as_ref().and_then(|r| r.error_code).unwrap_or(status);
    match reply {
        Some(Reply {
            ok: true,
            result: Some(result),
            ..
        }) if status == 200 => {
            let mut batch = Batch::default();
            for raw in result {
                match serde_json::from_str::<UpdateId>(raw.get()) {
                    Ok(id) => batch.updates.push(RawUpdate {
                        update_id: id.update_id,
                        json: raw.get().as_bytes().to_vec(),
                    }),
                    Err(_) => batch.skipped += 1,
                }
            }
            Ok(batch)
        }
        reply if code == 429 => Err(PollError::Flood(
            reply
                .and_then(|r| r.parameters)
                .and_then(|p| p.retry_after)
                .map(Duration::from_secs),
        )),
        _ if code == 401 || code == 404 => Err(PollError::TokenRefused(code)),
        // "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook
        // to delete the webhook first"; the other 409 is a second poller.
        Some(Reply {
            description: Some(d),
            ..
        }) if code == 409 && d.contains("webhook") => Err(PollError::WebhookActive),
        reply => {
            // Telegram's descriptions name the error, never the token or a message's text;
            // cut anyway, as a proxy in between may answer with a page.
            let description = reply
                .and_then(|r| r.description)
                .map_or_else(|| "no Bot API answer".to_owned(), |d| cut(&d, 200));
            Err(PollError::Failed(format!("HTTP {status}: {description}")))
        }
    }
}

/// The long-polling transport of one bot.
#[derive(Clone)]
pub struct Poller {
    client: reqwest::Client,
    /// `<api_url>/bot<token>/getUpdates`: holds the token, so it is never logged.
    endpoint: url::Url,
    bot_id: u64,
    inbound: InboundWorker,
    poll_timeout: Duration,
    pauses: Pauses,
    /// For `deleteWebhook`.
    api: BotApi,
}

// Written by hand: the endpoint holds the token.
impl fmt::Debug for Poller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poller")
            .field("bot_id", &self.bot_id)
            .field("poll_timeout", &self.poll_timeout)
            .field("pauses", &self.pauses)
            .finish_non_exhaustive()
    }
}

impl Poller {
    /// A poller storing into `inbound`; `None` when no token is configured (Telegram is off).
    pub fn new(
        settings: &TelegramSettings,
        inbound: InboundWorker,
    ) -> Result<Option<Self>, TelegramSetupError> {
        let Some(token) = settings.token() else {
            return Ok(None);
        };
        settings.check()?;
        let bot_id = settings.bot_id().ok_or_else(|| {
            hdnd_hub::config::InvalidSetting::new("telegram.token", "has no bot id")
        })?;
        let endpoint = method_url(settings.api_url(), token, "getUpdates")?;
        let Some(api) = BotApi::new(settings)? else {
            return Ok(None);
        };
        let poll_timeout = Duration::from_secs(settings.poll_timeout_secs);
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            // Telegram holds the request for the poll timeout: leave room for the answer.
            .timeout(poll_timeout + Duration::from_secs(15))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| TelegramSetupError::Client(e.without_url().to_string()))?;
        Ok(Some(Self {
            client,
            endpoint,
            bot_id,
            inbound,
            poll_timeout,
            pauses: Pauses::default(),
            api,
        }))
    }

    /// The same poller with other waits (tests shorten them).
    pub fn with_pauses(mut self, pauses: Pauses) -> Self {
        self.pauses = pauses;
        self
    }

    pub fn bot_id(&self) -> u64 {
        self.bot_id
    }

    /// One `getUpdates` call: acknowledges everything before `offset` and waits up to the poll
    /// timeout for what comes after.
    pub async fn fetch(&self, offset: Offset) -> Result<Batch, PollError> {
        let mut body = serde_json::json!({
            "timeout": self.poll_timeout.as_secs(),
            "allowed_updates": ALLOWED_UPDATES,
        });
        if let Some(offset) = offset.get() {
            body["offset"] = offset.into();
        }
        let response = self
            .client
            .post(self.endpoint.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            // reqwest names the URL in its errors, and the URL holds the token.
            .map_err(|e| PollError::Failed(network(e)))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| PollError::Failed(network(e)))?;
        read_reply(status, &bytes)
    }

    /// Stores every update of a batch, in order; fails at the first that cannot be stored.
    /// Returns how many were new.
    pub async fn store(&self, batch: &Batch) -> Result<usize, hdnd_hub::Error> {
        let mut fresh = 0;
        for update in &batch.updates {
            let received = self
                .inbound
                .receive(NewInbound {
                    source: InboundSource::Telegram,
                    key: ExternalKey::telegram(self.bot_id, update.update_id),
                    payload: update.json.clone(),
                    // Whether it is a denunciation is only known once the bot reads it; the
                    // handler seals the row then.
                    sealed: false,
                })
                .await?;
            if received.fresh {
                fresh += 1;
                tracing::debug!(
                    telegram.update_id = update.update_id,
                    inbound.id = received.id,
                    "Telegram update {} stored as inbound message {}",
                    update.update_id,
                    received.id
                );
            } else {
                tracing::debug!(
                    telegram.update_id = update.update_id,
                    "Telegram update {} was stored before; acknowledging it again",
                    update.update_id
                );
            }
        }
        Ok(fresh)
    }

    /// Polls until the lease is lost (or the service stops, which releases it).
    pub async fn run_until_lost(self, mut leadership: Leadership) {
        tracing::info!(
            telegram.bot_id = self.bot_id,
            lease.generation = leadership.generation,
            "polling Telegram for updates of bot {}",
            self.bot_id
        );
        // A failure here is not fatal: a webhook still set shows as a 409, handled below.
        tokio::select! {
            () = leadership.lost() => return,
            () = self.delete_webhook() => {}
        }
        let mut offset = Offset::default();
        let mut failures: u32 = 0;
        let mut refusal_reported = false;
        loop {
            if leadership.is_lost() {
                break;
            }
            // A poll in flight is dropped when the lease goes: the next holder may already
            // be asking, and Telegram answers only one caller.
            let fetched = tokio::select! {
                () = leadership.lost() => break,
                fetched = self.fetch(offset) => fetched,
            };
            let pause = match fetched {
                Ok(batch) => {
                    if batch.skipped > 0 {
                        tracing::warn!(
                            telegram.skipped = batch.skipped,
                            "{} Telegram updates without an update_id were ignored",
                            batch.skipped
                        );
                    }
                    match self.store(&batch).await {
                        Ok(_) => {
                            // Only now may Telegram forget them: the next call carries it.
                            offset.stored(batch.updates.iter().map(|u| u.update_id));
                            failures = 0;
                            refusal_reported = false;
                            continue;
                        }
                        Err(e) => {
                            failures = failures.saturating_add(1);
                            tracing::warn!(
                                error.message = %e,
                                "cannot store Telegram updates; they stay unacknowledged and are fetched again"
                            );
                            self.backoff(failures)
                        }
                    }
                }
                Err(PollError::Flood(after)) => {
                    let after = after.unwrap_or(self.pauses.flood);
                    tracing::warn!(
                        retry_after_secs = after.as_secs(),
                        "Telegram asked to wait {}s before polling again",
                        after.as_secs()
                    );
                    after
                }
                Err(PollError::TokenRefused(status)) => {
                    if !refusal_reported {
                        refusal_reported = true;
                        tracing::error!(
                            http.status = status,
                            telegram.bot_id = self.bot_id,
                            "Telegram refuses the token of bot {} (HTTP {status}); set a valid telegram.token. Trying again every {}s",
                            self.bot_id,
                            self.pauses.refused_token.as_secs()
                        );
                    }
                    self.pauses.refused_token
                }
                Err(PollError::WebhookActive) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(
                        telegram.bot_id = self.bot_id,
                        "Telegram has a webhook set for bot {}, so it cannot be polled; deleting the webhook (pending updates are kept)",
                        self.bot_id
                    );
                    tokio::select! {
                        () = leadership.lost() => break,
                        () = self.delete_webhook() => {}
                    }
                    self.backoff(failures)
                }
                Err(PollError::Failed(reason)) => {
                    failures = failures.saturating_add(1);
                    let pause = self.backoff(failures);
                    tracing::warn!(
                        error.message = %reason,
                        telegram.failures = failures,
                        "cannot poll Telegram: {reason}; trying again in {}ms",
                        pause.as_millis()
                    );
                    pause
                }
            };
            tokio::select! {
                () = leadership.lost() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!(
            telegram.bot_id = self.bot_id,
            "stopped polling Telegram for bot {}",
            self.bot_id
        );
    }

    /// `deleteWebhook`, keeping the updates Telegram holds: they come by polling next.
    async fn delete_webhook(&self) {
        let body = serde_json::json!({ "drop_pending_updates": false });
        match self.api.call("deleteWebhook", &body).await {
            Ok(()) => tracing::debug!(
                telegram.bot_id = self.bot_id,
                "no webhook is set for bot {} (deleteWebhook)",
                self.bot_id
            ),
            Err(e) => tracing::warn!(
                error.message = %e,
                telegram.bot_id = self.bot_id,
                "cannot delete the webhook of bot {} before polling: {e}",
                self.bot_id
            ),
        }
    }

    fn backoff(&self, failures: u32) -> Duration {
        hdnd_hub::retry::backoff(
            self.pauses.backoff_base,
            self.pauses.backoff_max,
            failures,
            None,
        )
        .to_std()
        .unwrap_or(self.pauses.backoff_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_moves_one_past_the_highest_stored_update_and_never_back() {
        let mut offset = Offset::default();
        assert_eq!(offset.get(), None, "the first call asks for everything");
        offset.stored([]);
        assert_eq!(offset.get(), None, "an empty batch acknowledges nothing");
        offset.stored([7, 9, 8]);
        assert_eq!(offset.get(), Some(10));
        offset.stored([9]);
        assert_eq!(offset.get(), Some(10), "a redelivery does not move it back");
        offset.stored([u32::MAX]);
        assert_eq!(offset.get(), Some(i64::from(u32::MAX) + 1), "no overflow");
    }

    #[test]
    fn each_update_is_kept_as_the_bytes_telegram_sent() {
        // Odd spacing, an escaped letter and a field teloxide does not know: all kept.
        let body = br#"{"ok":true,"result":[{"update_id":41, "message":{"text":"Xin ch\u00e0o","future_field":1}},
            {"update_id":42,"callback_query":{"id":"q","data":"case:1"}}]}"#;
        let batch = read_reply(200, body).unwrap();
        assert_eq!(batch.skipped, 0);
        assert_eq!(
            batch.updates,
            [
                RawUpdate {
                    update_id: 41,
                    json:
                        br#"{"update_id":41, "message":{"text":"Xin ch\u00e0o","future_field":1}}"#
                            .to_vec(),
                },
                RawUpdate {
                    update_id: 42,
                    json: br#"{"update_id":42,"callback_query":{"id":"q","data":"case:1"}}"#
                        .to_vec(),
                },
            ]
        );
        let empty = read_reply(200, br#"{"ok":true,"result":[]}"#).unwrap();
        assert!(empty.updates.is_empty());
        let odd = read_reply(
            200,
            br#"{"ok":true,"result":[{"message":{}},{"update_id":-1}]}"#,
        )
        .unwrap();
        assert_eq!((odd.updates.len(), odd.skipped), (0, 2));
    }

    #[test]
    fn refusals_are_told_apart() {
        let flood = br#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#;
        assert_eq!(
            read_reply(429, flood).unwrap_err(),
            PollError::Flood(Some(Duration::from_secs(7)))
        );
        assert_eq!(
            read_reply(429, b"busy").unwrap_err(),
            PollError::Flood(None)
        );
        let unauthorized = br#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#;
        assert_eq!(
            read_reply(401, unauthorized).unwrap_err(),
            PollError::TokenRefused(401)
        );
        assert_eq!(
            read_reply(
                404,
                br#"{"ok":false,"error_code":404,"description":"Not Found"}"#
            )
            .unwrap_err(),
            PollError::TokenRefused(404)
        );
        let webhook = br#"{"ok":false,"error_code":409,"description":"Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}"#;
        assert_eq!(
            read_reply(409, webhook).unwrap_err(),
            PollError::WebhookActive
        );
        let conflict = br#"{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request"}"#;
        assert_eq!(
            read_reply(409, conflict).unwrap_err(),
            PollError::Failed(
                "HTTP 409: Conflict: terminated by other getUpdates request".to_owned()
            )
        );
        assert_eq!(
            read_reply(502, b"<html>Bad Gateway</html>").unwrap_err(),
            PollError::Failed("HTTP 502: no Bot API answer".to_owned())
        );
        // A 200 that is not the Bot API's answer is not an empty batch.
        assert!(matches!(
            read_reply(200, b"{}").unwrap_err(),
            PollError::Failed(_)
        ));
    }
}
