//! The Bot API methods that are not messages to a person (`setWebhook`, `deleteWebhook`,
//! `setMyCommands`, a pressed button's receipt, `getFile` and the file's download), called
//! with JSON we write ourselves, so that what goes to Telegram is exactly what the tests read,
//! and no error text can carry the token.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::channel::TelegramSetupError;
use crate::config::TelegramSettings;

/// One bot's Bot API.
#[derive(Clone)]
pub struct BotApi {
    client: reqwest::Client,
    /// `<api_url>/bot<token>/`: holds the token, so it is never logged.
    base: url::Url,
    /// `<api_url>/file/bot<token>/`, where a file's `file_path` is downloaded from.
    files: url::Url,
    bot_id: u64,
}

// Written by hand: the base URL holds the token.
impl fmt::Debug for BotApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BotApi")
            .field("bot_id", &self.bot_id)
            .finish_non_exhaustive()
    }
}

/// Why a Bot API call failed. The text never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// Telegram answered with an error.
    #[error("HTTP {status}: {description}")]
    Refused {
        status: u16,
        description: String,
        retry_after: Option<Duration>,
    },
    /// No answer: network trouble or a timeout.
    #[error("{0}")]
    Network(String),
}

impl CallError {
    /// How long Telegram asked to wait (429).
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            CallError::Refused { retry_after, .. } => *retry_after,
            CallError::Network(_) => None,
        }
    }

    /// 401 or 404: Telegram does not know the token; asking again soon cannot help.
    pub fn token_refused(&self) -> bool {
        matches!(
            self,
            CallError::Refused {
                status: 401 | 404,
                ..
            }
        )
    }
}

#[derive(Deserialize)]
struct Reply<T> {
    ok: bool,
    #[serde(default = "Option::default")]
    result: Option<T>,
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

impl BotApi {
    /// The Bot API of the configured bot; `None` when Telegram is off.
    pub fn new(settings: &TelegramSettings) -> Result<Option<Self>, TelegramSetupError> {
        let Some(token) = settings.token() else {
            return Ok(None);
        };
        settings.check()?;
        let bot_id = settings.bot_id().ok_or_else(|| {
            hdnd_hub::config::InvalidSetting::new("telegram.token", "has no bot id")
        })?;
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| TelegramSetupError::Client(e.without_url().to_string()))?;
        Ok(Some(Self {
            client,
            base: method_url(settings.api_url(), token, "")?,
            files: file_url(settings.api_url(), token)?,
            bot_id,
        }))
    }

    pub fn bot_id(&self) -> u64 {
        self.bot_id
    }

    /// Calls `method` with the JSON `body`; `Ok` when Telegram answered `ok: true`.
    pub async fn call(&self, method: &str, body: &Value) -> Result<(), CallError> {
        self.call_for::<serde::de::IgnoredAny>(method, body)
            .await
            .map(drop)
    }

    /// Calls `method` with the JSON `body` and reads its `result`.
    pub async fn call_for<T: DeserializeOwned>(
        &self,
        method: &str,
        body: &Value,
    ) -> Result<T, CallError> {
        let mut endpoint = self.base.clone();
        endpoint
            .path_segments_mut()
            .map_err(|()| CallError::Network("the Bot API URL cannot take a method".to_owned()))?
            .pop_if_empty()
            .push(method);
        let response = self
            .client
            .post(endpoint)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| CallError::Network(network(e)))?;
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| CallError::Network(network(e)))?;
        read_reply(status, &bytes)
    }

    /// Downloads the file Telegram knows as `file_id` (`getFile`, then its `file_path`),
    /// refusing one over `limit` bytes before and while it is read.
    pub async fn download(&self, file_id: &str, limit: u64) -> Result<Download, CallError> {
        #[derive(Deserialize)]
        struct File {
            file_size: Option<u64>,
            file_path: Option<String>,
        }
        let file: File = self
            .call_for("getFile", &serde_json::json!({ "file_id": file_id }))
            .await?;
        if file.file_size.is_some_and(|size| size > limit) {
            return Ok(Download::TooLarge(file.file_size.unwrap_or(limit)));
        }
        let Some(path) = file.file_path else {
            // Telegram gives no path for a file over its own download limit (20 MB).
            return Ok(Download::TooLarge(file.file_size.unwrap_or(limit + 1)));
        };
        // A relative path under the file URL, never another address.
        if path.starts_with('/') || path.contains(':') || path.contains("..") {
            return Err(CallError::Network(
                "Telegram named an unusable file path".to_owned(),
            ));
        }
        let url = self
            .files
            .join(&path)
            .map_err(|_| CallError::Network("Telegram named an unusable file path".to_owned()))?;
        let mut response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| CallError::Network(network(e)))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(CallError::Refused {
                status,
                description: "the file could not be downloaded".to_owned(),
                retry_after: None,
            });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| CallError::Network(network(e)))?
        {
            bytes.extend_from_slice(&chunk);
            if bytes.len() as u64 > limit {
                return Ok(Download::TooLarge(bytes.len() as u64));
            }
        }
        Ok(Download::Bytes(bytes))
    }
}

/// A downloaded file, or how large it was found to be past the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Download {
    Bytes(Vec<u8>),
    /// At least this many bytes: over the limit, not downloaded (or not all of it).
    TooLarge(u64),
}

/// Reads the answer to a method, with its `result`.
fn read_reply<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, CallError> {
    let reply: Option<Reply<T>> = serde_json::from_slice(body).ok();
    match reply {
        Some(Reply {
            ok: true,
            result: Some(result),
            ..
        }) if status == 200 => Ok(result),
        reply => {
            let status = reply.as_ref().and_then(|r| r.error_code).unwrap_or(status);
            let retry_after = reply
                .as_ref()
                .and_then(|r| r.parameters.as_ref())
                .and_then(|p| p.retry_after)
                .map(Duration::from_secs);
            // Telegram's descriptions name the error, never the token; cut anyway, as a proxy
            // in between may answer with a page.
            let description = reply
                .and_then(|r| r.description)
                .map_or_else(|| "no Bot API answer".to_owned(), |d| cut(&d, 200));
            Err(CallError::Refused {
                status,
                description,
                retry_after,
            })
        }
    }
}

/// `<api_url>/file/bot<token>/`.
fn file_url(api_url: &str, token: &str) -> Result<url::Url, TelegramSetupError> {
    under(api_url, &["file", &format!("bot{token}"), ""])
}

/// `<api_url>/bot<token>/<method>`.
pub(crate) fn method_url(
    api_url: &str,
    token: &str,
    method: &str,
) -> Result<url::Url, TelegramSetupError> {
    under(api_url, &[&format!("bot{token}"), method])
}

/// `segments` after the path of `api_url` (which may have one of its own, or a trailing `/`).
fn under(api_url: &str, segments: &[&str]) -> Result<url::Url, TelegramSetupError> {
    let mut url: url::Url = api_url
        .parse()
        .map_err(|_| TelegramSetupError::ApiUrl(api_url.to_owned()))?;
    url.path_segments_mut()
        .map_err(|()| TelegramSetupError::ApiUrl(api_url.to_owned()))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

pub(crate) fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// A transport error's text without its URL (which holds the token), with its causes.
pub(crate) fn network(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_without_trusting_the_status_alone() {
        assert_eq!(read_reply(200, br#"{"ok":true,"result":true}"#), Ok(true));
        assert_eq!(
            read_reply::<bool>(
                400,
                br#"{"ok":false,"error_code":400,"description":"Bad Request: bad webhook: HTTPS url must be provided for webhook"}"#
            ),
            Err(CallError::Refused {
                status: 400,
                description: "Bad Request: bad webhook: HTTPS url must be provided for webhook"
                    .to_owned(),
                retry_after: None,
            })
        );
        let flood = read_reply::<bool>(
            429,
            br#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}"#,
        )
        .unwrap_err();
        assert_eq!(flood.retry_after(), Some(Duration::from_secs(3)));
        let proxy = read_reply::<bool>(502, b"<html>Bad Gateway</html>").unwrap_err();
        assert_eq!(proxy.to_string(), "HTTP 502: no Bot API answer");
        assert!(!proxy.token_refused());
        assert!(
            read_reply::<bool>(200, b"{}").is_err(),
            "a 200 that is not the Bot API's"
        );
        assert!(
            read_reply::<bool>(
                401,
                br#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#
            )
            .unwrap_err()
            .token_refused()
        );
    }

    #[test]
    fn a_method_url_puts_the_token_after_the_servers_path() {
        let url = method_url("http://127.0.0.1:9/fake/", "1:A", "setWebhook").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9/fake/bot1:A/setWebhook");
        let base = method_url("https://api.telegram.org", "1:A", "").unwrap();
        assert_eq!(base.as_str(), "https://api.telegram.org/bot1:A/");
        let files = file_url("http://127.0.0.1:9/fake", "1:A").unwrap();
        assert_eq!(files.as_str(), "http://127.0.0.1:9/fake/file/bot1:A/");
        assert_eq!(
            files.join("photos/file_0.jpg").unwrap().as_str(),
            "http://127.0.0.1:9/fake/file/bot1:A/photos/file_0.jpg"
        );
    }
}
