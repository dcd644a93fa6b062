//! What the email gateway asks of the hub beyond what every transport does: the capability a
//! signed reply address carries, and the verdict of a delivery report on a mail we sent.
//!
//! Both addresses are made with [`Hub::mail_key`], so only mail that went out from this
//! council can name a case or a row by them: the signed reply address (`hdnd+<code>.<tag>@`)
//! is the mail's equivalent of the private link, the bounce address (`hdnd-bounce+<id>.<tag>@`)
//! names the one outbox row a report is about.

use crate::access::{CitizenCapability, filed_with};
use crate::domain::{
    CaseCode, CaseKind, ContactKind, ContactState, InboundSource, MessageId, NormalisedContact,
    Signed, Staff, StaffId,
};
use crate::error::{DomainError, Error};
use crate::hub::Hub;
use crate::storage::{BounceChange, InformationChange, Notify};

impl Hub {
    /// The case the first signed reply address of `mailbox` among `addresses` names, and
    /// the capability of whoever writes to it: only someone who received the council's mail
    /// about the case knows it. `None` when none is one.
    pub async fn capability_by_mail_address(
        &self,
        mailbox: &str,
        addresses: &[String],
    ) -> Result<Option<(CaseCode, CitizenCapability)>, Error> {
        let Some(code) = self.first_signed(mailbox, addresses, |signed| match signed {
            Signed::Case(code) => Some(code),
            _ => None,
        }) else {
            return Ok(None);
        };
        // Signed by us for a case since erased: nothing to act on.
        Ok(self
            .case_capability(&code)
            .await?
            .map(|capability| (code, capability)))
    }

    /// A reply to a case's signed address from one of the case's own email contacts proves
    /// that the citizen reads mail there: the contact becomes verified (an unreachable one
    /// works again), so that a thread or a `[CODE]` tag from it counts from then on. Written
    /// at once, as it changes nothing a replay could double; a denunciation's contacts are
    /// sealed and never verified so. `true` when it changed the contact.
    pub async fn verify_by_signed_reply(
        &self,
        capability: &CitizenCapability,
        contact: &NormalisedContact,
    ) -> Result<bool, Error> {
        let case = self.store().get_case(capability.case()).await?;
        if case.kind == CaseKind::ToCao
            || contact.kind() != ContactKind::Email
            || !filed_with(&case, contact)
        {
            return Ok(false);
        }
        match self.store().find_citizen_contact(contact).await? {
            Some(found) if found.state == ContactState::Verified => Ok(false),
            Some(_) => {
                self.store()
                    .set_contact_state(contact, &ContactState::Verified)
                    .await
            }
            None => Ok(false),
        }
    }

    /// The key a mail from `from` with `message_id` is known by across deliveries, for
    /// [`crate::storage::InboundCompletion::mail_key`].
    pub fn mail_identity(&self, from: &str, message_id: &str) -> String {
        self.mail_key().message_key(from, message_id)
    }

    /// Whether the mail known by `key` was taken in already (the same mail delivered again).
    pub async fn mail_seen(&self, key: &str) -> Result<bool, Error> {
        self.store().inbound_mail_seen(key).await
    }

    /// The active staff account whose email is `from`, if any: its mail to a case's signed
    /// address is an officer's, and asks for confirmation before it acts.
    pub async fn staff_by_mail(&self, from: &str) -> Result<Option<Staff>, Error> {
        let Ok(contact) = NormalisedContact::parse(ContactKind::Email, from) else {
            return Ok(None);
        };
        let found = self.store().get_staff_by_chat(&contact).await?;
        Ok(found.filter(|s| s.active))
    }

    /// The stored mail a staff member's confirmation names: the signed confirmation address
    /// among `addresses` must be for `staff`, and the mail it names one that came in by
    /// email and is still kept. Its id and bytes, or `None`.
    pub async fn mail_to_confirm(
        &self,
        mailbox: &str,
        addresses: &[String],
        staff: StaffId,
    ) -> Result<Option<(i64, Vec<u8>)>, Error> {
        let named = self.first_signed(mailbox, addresses, |signed| match signed {
            Signed::Confirm(inbound, member) if member == staff.0 => Some(inbound),
            _ => None,
        });
        let Some(id) = named else {
            return Ok(None);
        };
        let row = match self.store().get_inbound(id).await {
            Ok(row) => row,
            Err(Error::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(row
            .payload
            .filter(|_| row.source == InboundSource::Email)
            .map(|payload| (id, payload)))
    }

    /// The internal message whose signed reply address is among `addresses`, if any: a
    /// staff member's mail to it is their reply in its thread ([`Hub::plan_reply`]).
    pub fn message_by_mail_address(
        &self,
        mailbox: &str,
        addresses: &[String],
    ) -> Option<MessageId> {
        self.first_signed(mailbox, addresses, |signed| match signed {
            Signed::Message(id) => Some(MessageId(id)),
            _ => None,
        })
    }

    /// An automatic answer from the citizen's side (an out-of-office reply to the council's
    /// mail) kept on the open case's timeline as `note`, telling nobody: staff see that the
    /// citizen is away when they look, and no mail goes out because of it.
    pub async fn plan_automatic_note(
        &self,
        capability: &CitizenCapability,
        note: &str,
    ) -> Result<InformationChange, Error> {
        let mut change = self
            .plan_information_as_citizen(capability, Some(note.to_owned()), Vec::new())
            .await?;
        change.notify = Notify::none();
        Ok(change)
    }

    /// What a delivery report sent to one of `addresses` changes: a permanent failure
    /// (`status` 5.x.x) of the row the signed bounce address names fails that row. A delayed
    /// delivery (4.x.x) is left to the retries, and a report to no bounce address of ours
    /// names nothing: both `None`.
    pub fn plan_bounce(
        &self,
        mailbox: &str,
        addresses: &[String],
        status: &str,
        diagnostic: Option<&str>,
    ) -> Result<Option<BounceChange>, Error> {
        let Some(outbox_id) = self.first_signed(mailbox, addresses, |signed| match signed {
            Signed::Bounce(id) => Some(id),
            _ => None,
        }) else {
            return Ok(None);
        };
        let status = status.trim();
        if !is_status(status) {
            return Err(DomainError::invalid(
                "status",
                "a delivery status is three numbers like 5.1.1",
            )
            .into());
        }
        if !status.starts_with('5') {
            return Ok(None);
        }
        // The diagnostic names the address it failed for; the row's error keeps only the code
        // and the server's words after it, cut short, for an operator.
        let words: String = diagnostic
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        Ok(Some(BounceChange {
            outbox_id,
            error: format!("bounced: {status} {}", words.trim())
                .trim_end()
                .to_owned(),
        }))
    }
}

impl Hub {
    /// What `pick` takes of the first signed address of `mailbox` among `addresses` that it
    /// wants: each kind of address reads only where its own tag holds.
    fn first_signed<T>(
        &self,
        mailbox: &str,
        addresses: &[String],
        pick: impl Fn(Signed) -> Option<T>,
    ) -> Option<T> {
        let key = self.mail_key();
        addresses
            .iter()
            .filter_map(|a| key.read(mailbox, a))
            .find_map(pick)
    }
}

/// RFC 3463: `class.subject.detail`, class 2, 4 or 5.
fn is_status(status: &str) -> bool {
    let parts: Vec<&str> = status.split('.').collect();
    parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..]
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::is_status;

    #[test]
    fn a_delivery_status_is_three_numbers_of_a_known_class() {
        assert!(is_status("5.1.1"));
        assert!(is_status("4.4.7"));
        assert!(is_status("5.7.133"));
        assert!(!is_status("5.1"));
        assert!(!is_status("6.1.1"));
        assert!(!is_status("5.x.1"));
        assert!(!is_status("5.1.1234"));
    }
}
