//! The IMAP poller (`[email.inbound.imap]`): reads the council's mailbox on a mail server
//! hdnd does not run, and stores each unread mail in `inbound` before flagging it `\Seen`
//! (`sweep.rs` holds that rule). A mail over `email.inbound.max_message_bytes` is neither
//! stored nor flagged: it stays unread in the mailbox for a person, and is warned of once.
//! The key is the account and folder, the folder's UIDVALIDITY and the mail's UID: what the
//! server guarantees unique, never the Message-ID a sender chooses (that stays in the stored
//! mail, for threading).
//!
//! After each look the poller waits for news with IDLE when the server offers it, issuing it
//! again every `poll_secs` (servers may drop an IDLE older than 29 minutes, and a dead
//! connection shows only when a command is sent); otherwise it looks again every `poll_secs`.
//! Any failure ends the session: the poller logs in again after a backoff that doubles up to
//! five minutes.
//!
//! One instance reads the mailbox: the poller runs as the job of the leader lease
//! [`LEASE_NAME`] and stops as soon as it is lost. Two pollers at once would be harmless
//! (the second store of a key is a replay) but would fetch every mail twice.

mod connect;
mod error;
mod sweep;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_imap::types::UnsolicitedResponse;
use hdnd_hub::delivery::email::ImapSettings;
use hdnd_hub::inbound::InboundWorker;
use hdnd_hub::leader::Leadership;

use connect::{ImapSession, log_in, within};
pub use error::ImapError;
use error::failed;
use sweep::Folder;
pub use sweep::Sweep;

/// The name of the leader lease under which one instance reads the mailbox.
pub const LEASE_NAME: &str = "email-imap";

/// The first wait after a failure; each next one doubles.
const BACKOFF_BASE: Duration = Duration::from_secs(1);
/// The longest wait between attempts: a refused login needs an operator, and trying every
/// second would only fill the log.
const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// Reads the mailbox of its settings into an inbound worker.
#[derive(Debug, Clone)]
pub struct ImapPoller {
    settings: Arc<ImapSettings>,
    /// The key's mailbox part ([`ImapSettings::mailbox`]).
    mailbox: String,
    inbound: InboundWorker,
    max_bytes: u64,
    /// The (UIDVALIDITY, UID) of the mails over the limit already warned of.
    too_large: Arc<Mutex<HashSet<(u32, u32)>>>,
}

impl ImapPoller {
    /// A poller storing through `inbound` the mails of at most `max_message_bytes`.
    pub fn new(settings: &ImapSettings, inbound: InboundWorker, max_message_bytes: u64) -> Self {
        Self {
            mailbox: settings.mailbox(),
            settings: Arc::new(settings.clone()),
            inbound,
            max_bytes: max_message_bytes,
            too_large: Arc::default(),
        }
    }

    /// Where the poller reads, for an operator's log: `host:port/folder` (no login).
    pub fn describe(&self) -> String {
        format!(
            "{}:{}/{}",
            self.settings.host.trim(),
            self.settings.port(),
            self.settings.folder
        )
    }

    fn timeout(&self) -> Duration {
        Duration::from_secs(self.settings.timeout_secs.max(1))
    }

    fn poll(&self) -> Duration {
        Duration::from_secs(self.settings.poll_secs.max(1))
    }

    /// Logs in, stores every unread mail of the folder, and logs out.
    pub async fn poll_once(&self) -> Result<Sweep, ImapError> {
        let mut session = log_in(&self.settings, self.timeout()).await?;
        let folder = self.open(&mut session).await?;
        let sweep = self.sweep(&mut session, folder).await?;
        self.log_out(&mut session).await;
        Ok(sweep)
    }

    /// Reads the mailbox until `leadership` is lost (or the service stops), logging in again
    /// after a backoff whenever the session fails.
    pub async fn run_until_lost(self, mut leadership: Leadership) {
        tracing::info!(
            lease.generation = leadership.generation,
            "reading the IMAP folder {}",
            self.describe()
        );
        let mut failures: u32 = 0;
        loop {
            // Dropping the session midway is safe at any point: a mail is flagged only once
            // it is stored, and stored again it is a replay.
            let ended = tokio::select! {
                () = leadership.lost() => return,
                ended = self.session(&mut failures) => ended,
            };
            failures = failures.saturating_add(1);
            let pause = backoff(failures);
            tracing::warn!(
                error.message = %ended,
                retry_in_secs = pause.as_secs(),
                "the IMAP session with {} ended; logging in again in {}s",
                self.describe(),
                pause.as_secs()
            );
            tokio::select! {
                () = leadership.lost() => return,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// One session: log in, then look and wait until something fails. `failures` is reset
    /// once the folder is open.
    async fn session(&self, failures: &mut u32) -> ImapError {
        let mut session = match log_in(&self.settings, self.timeout()).await {
            Ok(session) => session,
            Err(e) => return e,
        };
        let folder = match self.open(&mut session).await {
            Ok(folder) => folder,
            Err(e) => return e,
        };
        *failures = 0;
        tracing::debug!(
            imap.uid_validity = folder.uid_validity,
            imap.idle = folder.idle,
            "the IMAP folder is open"
        );
        loop {
            match self.sweep(&mut session, folder).await {
                Ok(sweep) if sweep.stored + sweep.replayed > 0 => tracing::info!(
                    imap.stored = sweep.stored,
                    imap.replayed = sweep.replayed,
                    "{} mails read over IMAP are stored",
                    sweep.stored + sweep.replayed
                ),
                Ok(_) => {}
                Err(e) => return e,
            }
            session = match self.wait(session, folder).await {
                Ok(session) => session,
                Err(e) => return e,
            };
        }
    }

    /// Waits for news for at most `poll_secs`: with IDLE when offered, else asleep.
    async fn wait(&self, session: ImapSession, folder: Folder) -> Result<ImapSession, ImapError> {
        let poll = self.poll();
        // What the server said unasked since the sweep began (the sweep emptied the queue):
        // a mail that came after its search, or during IDLE's start, shows only here.
        let news = session.unsolicited_responses.clone();
        let arrived = || {
            let mut any = false;
            while let Ok(response) = news.try_recv() {
                any |= matches!(
                    response,
                    UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
                );
            }
            any
        };
        if arrived() {
            return Ok(session);
        }
        if !folder.idle {
            tokio::time::sleep(poll).await;
            return Ok(session);
        }
        let mut idle = session.idle();
        within(self.timeout(), "IDLE", async {
            idle.init().await.map_err(failed("IDLE"))
        })
        .await?;
        tracing::debug!("waiting for mail by IDLE for at most {}s", poll.as_secs());
        if !arrived() {
            let (news, interrupt) = idle.wait_with_timeout(poll);
            tokio::pin!(news);
            // The library's own timeout restarts with every keep-alive the server sends
            // (Dovecot: every two minutes), so the bound on an IDLE is kept here.
            let woken = tokio::select! {
                woken = &mut news => Some(woken),
                () = tokio::time::sleep(poll) => None,
            };
            match woken {
                Some(woken) => {
                    woken.map_err(failed("IDLE"))?;
                }
                None => {
                    drop(interrupt);
                    within(self.timeout(), "IDLE", async {
                        news.await.map_err(failed("IDLE"))
                    })
                    .await?;
                }
            }
        }
        within(self.timeout(), "DONE", async {
            idle.done().await.map_err(failed("DONE"))
        })
        .await
    }

    async fn log_out(&self, session: &mut ImapSession) {
        let out = within(self.timeout(), "LOGOUT", async {
            session.logout().await.map_err(failed("LOGOUT"))
        })
        .await;
        if let Err(e) = out {
            tracing::debug!(error.message = %e, "the IMAP logout failed");
        }
    }
}

/// The pause after `failures` failures in a row: 1 s, 2 s, 4 s … up to five minutes.
fn backoff(failures: u32) -> Duration {
    let doubled = BACKOFF_BASE.saturating_mul(1 << failures.saturating_sub(1).min(16));
    doubled.min(BACKOFF_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_doubles_up_to_five_minutes() {
        let pauses: Vec<u64> = [1, 2, 3, 9, 10, 40].map(|n| backoff(n).as_secs()).to_vec();
        assert_eq!(pauses, [1, 2, 4, 256, 300, 300]);
    }
}
