//! Photos and documents sent into the dialogue: checked against the file store's limits from
//! what Telegram says of them, downloaded, accepted into the store (type sniffed from the
//! bytes), and kept in the draft by their `files` row until the case is filed.
//!
//! The upload is the one write the bot makes before the update's completion: the bytes must be
//! in the store before the draft can name them. An update retried after a crash uploads again
//! (the bytes are stored once, by their hash); the first row, never attached, is an orphan the
//! sweep removes.

use hdnd_hub::domain::Language;
use hdnd_hub::files::{CaseUsage, FileError, FilePolicy};
use hdnd_hub::inbound::HandleError;
use hdnd_hub::{Error, Hub};
use teloxide::types::Message;

use crate::api::{BotApi, Download};
use crate::dialogue::{Draft, DraftFile, Refusal};

/// A file a message carries, as Telegram describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    file_id: String,
    /// What Telegram says; 0 when it does not say.
    size: u64,
    name: String,
}

/// The photo (its largest size) or document of `message`; `None` for anything else.
pub fn sent(message: &Message) -> Option<Sent> {
    if let Some(photo) = message.photo().and_then(<[_]>::last) {
        return Some(Sent {
            file_id: photo.file.id.0.clone(),
            size: u64::from(photo.file.size),
            // Telegram re-encodes every photo as JPEG; the store names it by the sniffed type.
            name: "anh.jpg".to_owned(),
        });
    }
    message.document().map(|document| Sent {
        file_id: document.file.id.0.clone(),
        size: u64::from(document.file.size),
        name: document
            .file_name
            .clone()
            .unwrap_or_else(|| "tai-lieu".to_owned()),
    })
}

/// Accepts `sent` for `draft`: the file joins the draft, or the person is told why not.
/// `Err` only for trouble worth retrying (Telegram or the store unreachable).
pub async fn accept(
    hub: &Hub,
    api: Option<&BotApi>,
    sent: &Sent,
    draft: &Draft,
    language: Language,
) -> Result<Result<DraftFile, Refusal>, HandleError> {
    let refused = |e: FileError| Ok(Err(Refusal::File(e.message(language))));
    let Some(api) = api.filter(|_| hub.accepts_files()) else {
        return refused(FileError::Unavailable);
    };
    let limits = hub.file_limits();
    let usage = CaseUsage {
        files: u32::try_from(draft.files.len()).unwrap_or(u32::MAX),
        bytes: draft.files.iter().map(|f| f.size).sum(),
    };
    // What Telegram says of the size is checked before anything is downloaded.
    if let Err(e) = FilePolicy::new(limits).admit(usage, [sent.size]) {
        return refused(e);
    }
    let bytes = match api.download(&sent.file_id, limits.max_file_bytes).await {
        Ok(Download::Bytes(bytes)) => bytes,
        Ok(Download::TooLarge(size)) => {
            return refused(FileError::TooLarge {
                size,
                limit: limits.max_file_bytes,
            });
        }
        Err(e) => {
            return Err(HandleError::Transient(format!(
                "cannot download a file from Telegram: {e}"
            )));
        }
    };
    let size = bytes.len() as u64;
    if let Err(e) = FilePolicy::new(limits).admit(usage, [size]) {
        return refused(e);
    }
    match hub
        .upload_file(&sent.name, &bytes, draft.is_denunciation(), None)
        .await
    {
        Ok(record) => Ok(Ok(DraftFile {
            id: record.id.0,
            name: record.name,
            size,
        })),
        Err(Error::File(e)) if e.is_refusal() => refused(e),
        Err(e) => Err(e.into()),
    }
}
