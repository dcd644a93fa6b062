//! One look at the folder: every unread message is fetched with `BODY.PEEK[]` (which leaves
//! it unread), stored in `inbound` under (account and folder, UIDVALIDITY, UID), and only
//! then flagged `\Seen`. A crash anywhere in between costs a fetch again, which the key turns
//! into a replay that changes nothing; it never costs a mail.
//!
//! A mail larger than `email.inbound.max_message_bytes` is neither fetched nor flagged: it
//! stays unread in the mailbox for a person to deal with (the SMTP listener refuses the same
//! mail with 552, so its sender hears of it; here the server has taken it already, and the
//! mailbox is the one place it is still whole). The poller warns of it once per process, by
//! UID and size.

use futures_util::TryStreamExt;
use hdnd_hub::domain::{ExternalKey, InboundSource, NewInbound};

use super::ImapPoller;
use super::connect::{ImapSession, within};
use super::error::{ImapError, failed};

/// The folder as selected.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Folder {
    pub(crate) uid_validity: u32,
    /// The server offers IDLE, so the poller waits for news instead of looking again.
    pub(crate) idle: bool,
}

/// What one look at the folder did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sweep {
    /// Mails stored for the first time.
    pub stored: usize,
    /// Mails stored before (a crash before the `\Seen` flag) and flagged now.
    pub replayed: usize,
    /// Mails over the size limit, left unread.
    pub too_large: usize,
}

impl ImapPoller {
    /// Selects the configured folder and reads what the keys and the waiting need.
    pub(crate) async fn open(&self, session: &mut ImapSession) -> Result<Folder, ImapError> {
        let timeout = self.timeout();
        let selected = within(timeout, "SELECT", async {
            session
                .select(&self.settings.folder)
                .await
                .map_err(failed("SELECT"))
        })
        .await?;
        let uid_validity = selected.uid_validity.ok_or(ImapError::NoUidValidity)?;
        let capabilities = within(timeout, "CAPABILITY", async {
            session.capabilities().await.map_err(failed("CAPABILITY"))
        })
        .await?;
        Ok(Folder {
            uid_validity,
            idle: capabilities.has_str("IDLE"),
        })
    }

    /// Stores every unread message of the selected folder, oldest first, flagging each one
    /// `\Seen` once it is stored.
    pub(crate) async fn sweep(
        &self,
        session: &mut ImapSession,
        folder: Folder,
    ) -> Result<Sweep, ImapError> {
        let timeout = self.timeout();
        // The search below sees whatever these told of.
        while session.unsolicited_responses.try_recv().is_ok() {}
        let mut unseen: Vec<u32> = within(timeout, "UID SEARCH", async {
            session
                .uid_search("UNSEEN")
                .await
                .map_err(failed("UID SEARCH"))
        })
        .await?
        .into_iter()
        .collect();
        unseen.sort_unstable();
        let mut sweep = Sweep::default();
        for uid in unseen {
            let Some(size) = self.size_of(session, uid).await? else {
                // Expunged by someone else since the search.
                continue;
            };
            if size > self.max_bytes {
                sweep.too_large += 1;
                self.warn_too_large(folder.uid_validity, uid, size);
                continue;
            }
            let Some(raw) = self.fetch(session, uid).await? else {
                continue;
            };
            // RFC822.SIZE is the server's word; the bytes are what counts.
            if raw.len() as u64 > self.max_bytes {
                sweep.too_large += 1;
                self.warn_too_large(folder.uid_validity, uid, raw.len() as u64);
                continue;
            }
            let received = self
                .inbound
                .receive(NewInbound {
                    source: InboundSource::Email,
                    key: ExternalKey::imap(&self.mailbox, folder.uid_validity, uid),
                    payload: raw,
                    sealed: false,
                })
                .await
                .map_err(ImapError::Store)?;
            tracing::debug!(
                inbound.id = received.id,
                inbound.fresh = received.fresh,
                imap.uid = uid,
                "a mail read over IMAP is stored (UID {uid})"
            );
            // Only now may the server call it read.
            within(timeout, "UID STORE", async {
                session
                    .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
                    .await
                    .map_err(failed("UID STORE"))?
                    .try_collect::<Vec<_>>()
                    .await
                    .map_err(failed("UID STORE"))
            })
            .await?;
            match received.fresh {
                true => sweep.stored += 1,
                false => sweep.replayed += 1,
            }
        }
        Ok(sweep)
    }

    /// `UID FETCH <uid> <items>`, within the timeout.
    async fn uid_fetch(
        &self,
        session: &mut ImapSession,
        uid: u32,
        items: &str,
    ) -> Result<Vec<async_imap::types::Fetch>, ImapError> {
        within(self.timeout(), "UID FETCH", async {
            session
                .uid_fetch(uid.to_string(), items)
                .await
                .map_err(failed("UID FETCH"))?
                .try_collect::<Vec<_>>()
                .await
                .map_err(failed("UID FETCH"))
        })
        .await
    }

    /// The message's RFC822.SIZE (0 if the server does not say: the bytes are measured once
    /// fetched); `None` when the server no longer has it.
    async fn size_of(&self, session: &mut ImapSession, uid: u32) -> Result<Option<u64>, ImapError> {
        let fetched = self.uid_fetch(session, uid, "RFC822.SIZE").await?;
        Ok(fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .map(|f| f.size.map_or(0, u64::from)))
    }

    /// The message's bytes, leaving it unread; `None` when the server no longer has it.
    async fn fetch(
        &self,
        session: &mut ImapSession,
        uid: u32,
    ) -> Result<Option<Vec<u8>>, ImapError> {
        let fetched = self
            .uid_fetch(session, uid, "(BODY.PEEK[] RFC822.SIZE)")
            .await?;
        Ok(fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.body())
            .map(<[u8]>::to_vec))
    }

    fn warn_too_large(&self, uid_validity: u32, uid: u32, size: u64) {
        let first = self
            .too_large
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((uid_validity, uid));
        if first {
            tracing::warn!(
                imap.uid = uid,
                mail.bytes = size,
                mail.max_bytes = self.max_bytes,
                "the mail with UID {uid} ({size} bytes) is larger than email.inbound.max_message_bytes; it stays unread in the mailbox for a person to handle"
            );
        }
    }
}
