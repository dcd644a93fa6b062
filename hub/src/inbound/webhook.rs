//! The receiving end of Telegram's webhook, without HTTP: whether a request carries the
//! secret, and storing the update it carries in `inbound` under its `update_id`.
//!
//! The HTTP route (in hdnd-web) answers Telegram only with what [`TelegramWebhook::receive`]
//! returns, so a 200 always means the update is stored: Telegram forgets an update once a
//! request for it got a 2xx, and retries the others.

use std::fmt;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::InboundWorker;
use crate::domain::token::constant_time_eq;
use crate::domain::{ExternalKey, InboundSource, NewInbound, Received};
use crate::error::Error;

/// Stores the updates Telegram posts to the webhook of one bot.
#[derive(Clone)]
pub struct TelegramWebhook {
    bot_id: u64,
    path: String,
    /// The secret's SHA-256: comparing digests takes the same time whatever the length or
    /// the first wrong byte of a guess, and the secret itself is not kept.
    secret_digest: [u8; 32],
    inbound: InboundWorker,
}

/// Why an update posted to the webhook was not stored.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The body is not an update with an `update_id`: posting it again cannot help.
    #[error("the body is not a Telegram update with an update_id")]
    Malformed,
    /// The store failed: Telegram should try again later.
    #[error(transparent)]
    Store(#[from] Error),
}

#[derive(Deserialize)]
struct UpdateId {
    update_id: u32,
}

impl TelegramWebhook {
    /// The largest body accepted; Telegram's updates are a few kilobytes (files come as ids).
    pub const BODY_LIMIT: usize = 1024 * 1024;

    /// The header Telegram sends the secret in.
    pub const SECRET_HEADER: &'static str = "X-Telegram-Bot-Api-Secret-Token";

    /// The webhook of bot `bot_id`, served at `path`, admitting requests that carry `secret`,
    /// storing into `inbound` (which it wakes).
    pub fn new(bot_id: u64, path: &str, secret: &str, inbound: InboundWorker) -> Self {
        Self {
            bot_id,
            path: path.to_owned(),
            secret_digest: Sha256::digest(secret.as_bytes()).into(),
            inbound,
        }
    }

    /// The path of the webhook URL, where the route is.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether `header` (the value of [`Self::SECRET_HEADER`], if any) is the secret, in time
    /// that does not depend on how much of a guess is right.
    pub fn admits(&self, header: Option<&[u8]>) -> bool {
        let Some(given) = header else {
            return false;
        };
        let given: [u8; 32] = Sha256::digest(given).into();
        constant_time_eq(&given, &self.secret_digest)
    }

    /// Stores the update in `body`, as the bytes Telegram sent, under its `update_id`; a
    /// replay stores nothing and answers like the first (`fresh` false).
    pub async fn receive(&self, body: &[u8]) -> Result<Received, WebhookError> {
        let update_id = update_id(body).ok_or(WebhookError::Malformed)?;
        let received = self
            .inbound
            .receive(NewInbound {
                source: InboundSource::Telegram,
                key: ExternalKey::telegram(self.bot_id, update_id),
                payload: body.to_vec(),
                // As with polling: only the bot's handler knows whether it is a denunciation,
                // and it seals the row then.
                sealed: false,
            })
            .await?;
        if received.fresh {
            tracing::debug!(
                telegram.update_id = update_id,
                inbound.id = received.id,
                "Telegram update {update_id} from the webhook stored as inbound message {}",
                received.id
            );
        } else {
            tracing::debug!(
                telegram.update_id = update_id,
                "Telegram update {update_id} from the webhook was stored before"
            );
        }
        Ok(received)
    }
}

// Written by hand: the digest stays out of logs, and the worker says nothing useful.
impl fmt::Debug for TelegramWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TelegramWebhook")
            .field("bot_id", &self.bot_id)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The `update_id` of a body that is one JSON object with a usable one.
fn update_id(body: &[u8]) -> Option<u32> {
    serde_json::from_slice::<UpdateId>(body)
        .ok()
        .map(|u| u.update_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_update_with_an_update_id_is_read() {
        assert_eq!(
            update_id(br#"{"update_id":7,"message":{"text":"x"}}"#),
            Some(7)
        );
        assert_eq!(
            update_id(br#"  {"update_id": 4294967295}  "#),
            Some(u32::MAX)
        );
        for bad in [
            &b""[..],
            b"{}",
            b"[]",
            br#"{"update_id":-1}"#,
            br#"{"update_id":"7"}"#,
            br#"{"update_id":4294967296}"#,
            br#"{"update_id":7} trailing"#,
            br#"{"update_id":7"#,
            b"\xff\xfe",
        ] {
            assert_eq!(update_id(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn the_secret_is_compared_whole() {
        let digest = |s: &str| -> [u8; 32] { Sha256::digest(s.as_bytes()).into() };
        assert!(constant_time_eq(&digest("s3cret_-A"), &digest("s3cret_-A")));
        for other in ["s3cret_-a", "s3cret_-", "s3cret_-AA", ""] {
            assert!(
                !constant_time_eq(&digest("s3cret_-A"), &digest(other)),
                "{other}"
            );
        }
    }
}
