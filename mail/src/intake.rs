//! A mail that names no case it may act on becomes a new case: its kind guessed from the
//! subject and first lines (staff correct it at triage), its sender its contact (a
//! denouncer's only in the sealed identity), its attachments uploaded within the file
//! limits, a refused one named in the receipt with why. The hub's receipt is the
//! acknowledgement, with the code and the private link, at most so many an hour to one
//! sender; past that the case is filed all the same and its receipt kept unsent.

use chrono::Duration;
use hdnd_hub::delivery::notify::RefusedFile;
use hdnd_hub::domain::{
    Attachment, CaseId, CaseKind, ComplaintRound, ContactKind, ContactPoint, DenouncerIdentity,
    FileId, Language, NewCase, NormalisedContact, SourceChannel,
};
use hdnd_hub::files::{CaseUsage, FileError, FilePolicy};
use hdnd_hub::inbound::HandleError;
use hdnd_hub::storage::{InboundCompletion, InboundEffect};
use hdnd_hub::{DomainError, Error};

use crate::handler::MailHandler;
use crate::parse::ParsedMail;
use crate::reply;
use crate::route;

impl MailHandler {
    /// Files `mail` from `from` as a new case.
    pub(crate) async fn intake(
        &self,
        mail: &ParsedMail,
        from: &str,
        contact: &NormalisedContact,
    ) -> Result<InboundCompletion, HandleError> {
        let language = route::guess_language(&mail.subject, &mail.text);
        if mail.text.trim().is_empty() && mail.attachments.is_empty() {
            let answer = reply::empty(self, mail, from, language)?;
            return Ok(InboundCompletion {
                replies: vec![answer],
                ..InboundCompletion::nothing()
            });
        }
        // Staff triage a mail that says nothing of its kind; an opinion carries no legal clock
        // that a wrong guess could start.
        let kind = route::guess_kind(&mail.subject, &mail.text).unwrap_or(CaseKind::YKien);
        let seal = kind == CaseKind::ToCao;
        let (files, refused) = self.upload(mail, seal, None, language).await?;
        let new = new_case(mail, from, kind, language, &files);
        let record = match self.hub.prepare_case_refusing(new, refused).await {
            Ok(record) => record,
            Err(Error::Domain(DomainError::Invalid {
                field: "content", ..
            })) => {
                let answer = reply::empty(self, mail, from, language)?;
                return Ok(InboundCompletion {
                    replies: vec![answer],
                    seal,
                    ..InboundCompletion::nothing()
                });
            }
            Err(e) => return Err(e.into()),
        };
        let record = if self.over_the_rate(contact).await? {
            tracing::warn!(
                "a sender is over {} acknowledgements an hour: the case is filed, its receipt kept unsent",
                self.acknowledgements_per_hour
            );
            record.without_receipt()
        } else {
            record
        };
        Ok(InboundCompletion {
            effect: InboundEffect::Case(Box::new(record)),
            replies: Vec::new(),
            seal,
            ..InboundCompletion::nothing()
        })
    }

    /// Whether `contact` filed as many cases in the last hour as it may be acknowledged.
    async fn over_the_rate(&self, contact: &NormalisedContact) -> Result<bool, HandleError> {
        let since = self.hub.clock().now() - Duration::hours(1);
        let recent = self
            .hub
            .my_cases(contact)
            .await?
            .iter()
            .filter(|c| c.received_at >= since)
            .count();
        Ok(recent >= self.acknowledgements_per_hour as usize)
    }

    /// Uploads the attachments of `mail`, for a new case or for the open case `on_case`,
    /// within the file limits; returns those stored and those refused, with why in
    /// `language`. `Err` only for trouble worth retrying (the store unreachable).
    pub(crate) async fn upload(
        &self,
        mail: &ParsedMail,
        sealed: bool,
        on_case: Option<CaseId>,
        language: Language,
    ) -> Result<(Vec<FileId>, Vec<RefusedFile>), HandleError> {
        let mut stored = Vec::new();
        let mut refused = Vec::new();
        let policy = FilePolicy::new(self.hub.file_limits());
        // The mail's own files count against each other; the hub checks the case's.
        let mut usage = CaseUsage::default();
        for attachment in &mail.attachments {
            let refuse = |e: FileError| RefusedFile {
                name: attachment.name.clone(),
                reason: e.message(language),
            };
            if !self.hub.accepts_files() {
                refused.push(refuse(FileError::Unavailable));
                continue;
            }
            let size = attachment.bytes.len() as u64;
            match policy.admit(usage, [size]) {
                Ok(next) => usage = next,
                Err(e) => {
                    refused.push(refuse(e));
                    continue;
                }
            }
            match self
                .hub
                .upload_file(&attachment.name, &attachment.bytes, sealed, on_case)
                .await
            {
                Ok(record) => stored.push(record.id),
                Err(Error::File(e)) if e.is_refusal() => refused.push(refuse(e)),
                Err(e) => return Err(e.into()),
            }
        }
        Ok((stored, refused))
    }
}

/// The case a mail files. The subject is its title; a denouncer's name and address go into
/// the sealed identity and nowhere else.
fn new_case(
    mail: &ParsedMail,
    from: &str,
    kind: CaseKind,
    language: Language,
    files: &[FileId],
) -> NewCase {
    let point = ContactPoint {
        kind: ContactKind::Email,
        address: from.to_owned(),
    };
    let name = mail.from_name.clone();
    let (citizen_name, contacts, denouncer) = if kind == CaseKind::ToCao {
        let identity = DenouncerIdentity {
            // The law asks a denouncer's name; a mail without one keeps the address, and
            // staff ask the rest at triage.
            full_name: name.unwrap_or_else(|| from.to_owned()),
            phone: None,
            email: Some(from.to_owned()),
            address: None,
            id_number: None,
            chosen_contact: Some(point),
        };
        (None, Vec::new(), Some(identity))
    } else {
        (name, vec![point], None)
    };
    let title: String = route::without_reply_prefix(&mail.subject)
        .chars()
        .take(hdnd_hub::domain::case::MAX_TITLE_CHARS)
        .collect();
    let content = match mail.text.trim() {
        "" => title.clone(),
        text => text.to_owned(),
    };
    NewCase {
        kind,
        complaint_round: (kind == CaseKind::KhieuNai).then_some(ComplaintRound::First),
        first_case: None,
        title,
        content: content
            .chars()
            .take(hdnd_hub::domain::case::MAX_CONTENT_CHARS)
            .collect(),
        area: None,
        category: None,
        channel: SourceChannel::Email,
        citizen_name,
        citizen_address: None,
        citizen_id_number: None,
        contacts,
        // The hub reads each file's name, type and size from its row.
        attachments: files
            .iter()
            .map(|id| Attachment {
                file_name: String::new(),
                content_type: String::new(),
                size_bytes: 0,
                sha256: String::new(),
                file_id: Some(*id),
            })
            .collect(),
        publication_consent: false,
        complex: false,
        remote_area: false,
        denouncer,
        source_ref: None,
        language,
    }
}
