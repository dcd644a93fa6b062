//! The denouncer's identity: a legal secret (Luật Tố cáo art. 56; "Mật" level).
//!
//! It lives in its own table. The only way to read it is a store method that takes an
//! [`IdentityAccess`], which only `IdentityAccess::grant` can make, inside the hub; that method
//! writes the audit row in the same transaction as the read.

use std::fmt;

use super::case::{ContactKind, ContactPoint, clean_text, id_number};
use super::citizen::{ContactKey, NormalisedContact, contact_hash};
use super::staff::{Role, Staff, StaffId};
use crate::error::DomainError;

/// Who denounced, and how they chose to be told about their case.
#[derive(Clone, PartialEq, Eq)]
pub struct DenouncerIdentity {
    pub full_name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    /// The personal identification number the law asks of a denouncer.
    pub id_number: Option<String>,
    /// The one channel on which the denouncer is notified (code and status only).
    pub chosen_contact: Option<ContactPoint>,
}

// Never print the secret, even by accident in a log line or a panic message.
impl fmt::Debug for DenouncerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DenouncerIdentity(<sealed>)")
    }
}

impl DenouncerIdentity {
    pub(crate) fn normalise(&mut self) -> Result<(), DomainError> {
        self.full_name = clean_text("denouncer.full_name", &self.full_name, 200, true)?;
        for value in [&mut self.phone, &mut self.email, &mut self.address]
            .into_iter()
            .flatten()
        {
            *value = clean_text("denouncer", value, 500, true)?;
        }
        if let Some(number) = &self.id_number {
            self.id_number = Some(id_number("denouncer.id_number", number)?);
        }
        if let Some(contact) = &mut self.chosen_contact {
            *contact = NormalisedContact::try_from(&*contact)?.into();
        }
        Ok(())
    }
}

impl DenouncerIdentity {
    /// The keyed hashes of every contact the denouncer gave that parses (the chosen one, the
    /// phone, the email), by which they find their case under "my cases".
    pub fn contact_hashes(&self, key: &ContactKey) -> Vec<String> {
        let given = [
            self.chosen_contact
                .as_ref()
                .map(|c| (c.kind, c.address.as_str())),
            self.phone.as_deref().map(|p| (ContactKind::Phone, p)),
            self.email.as_deref().map(|e| (ContactKind::Email, e)),
        ];
        let mut hashes: Vec<String> = given
            .into_iter()
            .flatten()
            .filter_map(|(kind, value)| NormalisedContact::parse(kind, value).ok())
            .map(|contact| contact_hash(key, &contact))
            .collect();
        hashes.sort();
        hashes.dedup();
        hashes
    }
}

/// Proof that a staff member with the right role asked to read an identity, and why.
#[derive(Debug, Clone)]
pub struct IdentityAccess {
    staff: StaffId,
    purpose: String,
}

impl IdentityAccess {
    /// Grants access to an active staff member holding [`Role::DenunciationOfficer`]; the purpose
    /// is recorded in the audit log.
    pub(crate) fn grant(staff: &Staff, purpose: &str) -> Result<Self, DomainError> {
        if !staff.active || !staff.has_role(Role::DenunciationOfficer) {
            return Err(DomainError::Forbidden(format!(
                "staff {} may not read a denouncer's identity",
                staff.id
            )));
        }
        let purpose = clean_text("purpose", purpose, 500, true)?;
        Ok(Self {
            staff: staff.id,
            purpose,
        })
    }

    pub fn staff(&self) -> StaffId {
        self.staff
    }

    pub fn purpose(&self) -> &str {
        &self.purpose
    }
}
