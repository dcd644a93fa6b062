//! The email gateway's [`InboundHandler`]: what one stored mail changes.
//!
//! In order: a mail that cannot be read fails with its reason; one from our own address
//! changes nothing; a delivery report fails the row its signed bounce address names (5.x.x)
//! or is left to the retries (4.x.x); any other automatic mail (an auto-reply, a list, a
//! loop) changes nothing and gets no answer. A mail that names a case it may act on
//! (`route.rs`: the signed reply address is a capability; a thread or a `[CODE]` tag counts
//! only from the case's verified address) is a command, the answer the council waits for,
//! or information for the open case (`reply.rs` says so by return). Anything else is a new
//! case (`intake.rs`), acknowledged by the hub's receipt with its code and private link.

use std::sync::Arc;

use async_trait::async_trait;
use hdnd_hub::access::CitizenCapability;
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::{CaseCode, CaseKind, ContactKind, InboundRow, NormalisedContact, Status};
use hdnd_hub::inbound::{HandleError, InboundHandler};
use hdnd_hub::storage::{InboundCompletion, InboundEffect};
use hdnd_hub::{DomainError, Error, Hub};

use crate::parse::{Automatic, ParsedMail, parse};
use crate::reply::Reply;
use crate::report::DeliveryReport;
use crate::route::{self, Command, Named};

/// How much of an auto-reply's text its note keeps.
const AUTO_NOTE_CHARS: usize = 300;

/// Handles the mail delivered to the council's mailbox.
#[derive(Debug, Clone)]
pub struct MailHandler {
    pub(crate) hub: Hub,
    pub(crate) renderer: Arc<Renderer>,
    /// The council's mailbox, whose signed plus-addresses name cases and outbox rows.
    pub(crate) mailbox: String,
    /// Our Message-IDs' domain.
    pub(crate) domain: String,
    /// Addresses of ours besides the mailbox (the `From` of our mail): never answered.
    own: Vec<String>,
    pub(crate) acknowledgements_per_hour: u32,
    /// The portal's address, for the withdrawal link; without it, none is sent.
    public_url: Option<String>,
}

impl MailHandler {
    /// `mailbox` is `email.mailbox`; `domain` is `email.message_id_domain`.
    pub fn new(hub: Hub, renderer: Arc<Renderer>, mailbox: &str, domain: &str) -> Self {
        Self {
            hub,
            renderer,
            mailbox: mailbox.trim().to_lowercase(),
            domain: domain.trim().to_owned(),
            own: Vec::new(),
            acknowledgements_per_hour: 5,
            public_url: None,
        }
    }

    /// The portal at `url` (`https://hdnd.hongbang.example`) confirms withdrawals.
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = Some(url.trim().trim_end_matches('/').to_owned());
        self
    }

    /// Mail from `address` (our `From`) is ours too, and never answered.
    pub fn with_own_address(mut self, address: &str) -> Self {
        self.own.push(address.trim().to_lowercase());
        self
    }

    /// At most `n` acknowledgements an hour to one sender.
    pub fn with_acknowledgements_per_hour(mut self, n: u32) -> Self {
        self.acknowledgements_per_hour = n.max(1);
        self
    }

    /// The mailbox itself, its plus-addresses, and our other addresses.
    fn is_ours(&self, address: &str) -> bool {
        let Some((local, domain)) = self.mailbox.split_once('@') else {
            return false;
        };
        let plus = address
            .rsplit_once('@')
            .filter(|(_, at)| at.eq_ignore_ascii_case(domain))
            .is_some_and(|(their, _)| {
                their
                    .split_once('+')
                    .map_or(their, |(base, _)| base)
                    .trim_end_matches("-bounce")
                    == local
            });
        plus || self.own.iter().any(|own| own == address)
    }

    async fn handle_mail(
        &self,
        row: &InboundRow,
        mail: &ParsedMail,
    ) -> Result<InboundCompletion, HandleError> {
        let Some(from) = mail.from.as_deref() else {
            return Err(HandleError::Permanent(
                "the mail names no sender address".to_owned(),
            ));
        };
        if self.is_ours(from) {
            tracing::debug!(inbound.id = row.id, "mail from our own address ignored");
            return Ok(InboundCompletion::nothing());
        }
        if let Some(report) = &mail.report {
            return self.bounce(row, mail, report);
        }
        if let Some(why) = mail.automatic {
            tracing::info!(inbound.id = row.id, mail.automatic = ?why, "automatic mail: no answer");
            return self.automatic(mail, why).await;
        }
        if let Some(staff) = self.hub.staff_by_mail(from).await?
            && let Some(done) = self.staff_mail(row.id, mail, &staff).await?
        {
            return Ok(done);
        }
        let contact = NormalisedContact::parse(ContactKind::Email, from).map_err(|e| {
            HandleError::Permanent(format!("the sender's address is not usable: {e}"))
        })?;
        match self.case_named(mail, &contact).await? {
            Some((code, capability)) => self.on_case(mail, from, &code, &capability).await,
            None => self.intake(mail, from, &contact).await,
        }
    }

    /// An auto-reply to a case's signed address (an out-of-office answer to our mail) is a
    /// note on the open case; any other automatic mail changes nothing. Neither is answered.
    async fn automatic(
        &self,
        mail: &ParsedMail,
        why: Automatic,
    ) -> Result<InboundCompletion, HandleError> {
        if !matches!(why, Automatic::AutoSubmitted | Automatic::Precedence) {
            return Ok(InboundCompletion::nothing());
        }
        let Some((code, capability)) = self
            .hub
            .capability_by_mail_address(&self.mailbox, &mail.to)
            .await?
        else {
            return Ok(InboundCompletion::nothing());
        };
        let words: String = mail.reply.chars().take(AUTO_NOTE_CHARS).collect();
        let note = format!("Thư trả lời tự động: {}\n{}", mail.subject, words.trim());
        match self.hub.plan_automatic_note(&capability, note.trim()).await {
            Ok(change) => {
                tracing::info!(case.code = %code, "an auto-reply noted on a case");
                Ok(InboundCompletion {
                    effect: InboundEffect::Information(Box::new(change)),
                    // The note keeps what staff need; the mail, which may be a denouncer's,
                    // goes.
                    seal: true,
                    ..InboundCompletion::nothing()
                })
            }
            // Closed meanwhile: nothing to note it on.
            Err(Error::Domain(_)) => Ok(InboundCompletion::nothing()),
            Err(e) => Err(e.into()),
        }
    }

    /// A delivery report: only a permanent failure changes anything.
    fn bounce(
        &self,
        row: &InboundRow,
        mail: &ParsedMail,
        report: &DeliveryReport,
    ) -> Result<InboundCompletion, HandleError> {
        let planned = self.hub.plan_bounce(
            &self.mailbox,
            &mail.to,
            &report.status,
            report.diagnostic.as_deref(),
        )?;
        let Some(change) = planned else {
            tracing::info!(
                inbound.id = row.id,
                mail.status = %report.status,
                "a delivery report that fails no row of ours"
            );
            return Ok(InboundCompletion::nothing());
        };
        tracing::info!(
            inbound.id = row.id,
            outbox.id = change.outbox_id(),
            mail.status = %report.status,
            "outbox row {} bounced",
            change.outbox_id()
        );
        Ok(InboundCompletion {
            effect: InboundEffect::Bounce(Box::new(change)),
            ..InboundCompletion::nothing()
        })
    }

    /// The case the mail may act on: the one its signed reply address names, else the one
    /// its thread or subject tag names if `contact` is that case's verified address.
    async fn case_named(
        &self,
        mail: &ParsedMail,
        contact: &NormalisedContact,
    ) -> Result<Option<(CaseCode, CitizenCapability)>, HandleError> {
        if let Some((code, capability)) = self
            .hub
            .capability_by_mail_address(&self.mailbox, &mail.to)
            .await?
        {
            if self
                .hub
                .verify_by_signed_reply(&capability, contact)
                .await?
            {
                tracing::info!(case.code = %code, "a citizen's email verified by their reply");
            }
            return Ok(Some((code, capability)));
        }
        let key = self.hub.mail_key();
        let Some(named) = route::named_case(mail, &self.domain, &self.mailbox, &key) else {
            return Ok(None);
        };
        let code = match named {
            Named::Thread(code) | Named::SubjectTag(code) => code,
            // Signed for a case that no longer exists: a new case.
            Named::SignedAddress(_) => return Ok(None),
        };
        match self.hub.capability_by_contact(&code, contact).await {
            Ok(capability) => Ok(Some((code, capability))),
            // Not theirs, or their address is not verified: the mail is treated as new, and
            // nothing is said of the case it named.
            Err(Error::Domain(DomainError::Forbidden(_))) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// A mail about a case the sender may act on.
    async fn on_case(
        &self,
        mail: &ParsedMail,
        from: &str,
        code: &CaseCode,
        capability: &CitizenCapability,
    ) -> Result<InboundCompletion, HandleError> {
        let case = self.hub.case_as_sent(capability).await?;
        let reply = Reply::to(self, mail, from, &case);
        let seal = case.kind == CaseKind::ToCao;
        let text = mail.reply.trim();
        let done = |effect, notification| InboundCompletion {
            effect,
            replies: vec![notification],
            seal,
            ..InboundCompletion::nothing()
        };
        match route::command(text) {
            Some(Command::Status) => return Ok(done(InboundEffect::Nothing, reply.status()?)),
            Some(Command::Withdraw) => {
                // Only a case its citizen may still withdraw gets the link; else, where it
                // stands.
                let answer = match (&self.public_url, case.may_withdraw()) {
                    (Some(base), true) => {
                        let token = self.hub.withdrawal_token(capability).await?;
                        reply.withdraw(format!("{base}/rut-ho-so/{token}"))?
                    }
                    _ => reply.status()?,
                };
                return Ok(done(InboundEffect::Nothing, answer));
            }
            None => {}
        }
        if case.status == Status::NeedsInfo && !text.is_empty() {
            let change = match self.hub.plan_answer_as_citizen(capability, text).await {
                Ok(change) => change,
                Err(Error::Domain(_)) => return Ok(done(InboundEffect::Nothing, reply.status()?)),
                Err(e) => return Err(e.into()),
            };
            tracing::info!(case.code = %code, "the citizen answered the council's question by mail");
            return Ok(done(
                InboundEffect::Progress(Box::new(change)),
                reply.answered()?,
            ));
        }
        if !case.status.is_open() {
            return Ok(done(InboundEffect::Nothing, reply.closed()?));
        }
        let (files, refused) = self
            .upload(mail, seal, Some(capability.case()), case.language)
            .await?;
        if text.is_empty() && files.is_empty() {
            return Ok(done(InboundEffect::Nothing, reply.status()?));
        }
        let planned = self
            .hub
            .plan_information_as_citizen(
                capability,
                Some(text.to_owned()).filter(|t| !t.is_empty()),
                files.clone(),
            )
            .await;
        let change = match planned {
            Ok(change) => change,
            Err(Error::Domain(_)) => return Ok(done(InboundEffect::Nothing, reply.status()?)),
            Err(e) => return Err(e.into()),
        };
        tracing::info!(case.code = %code, files = files.len(), "information added to a case by mail");
        Ok(done(
            InboundEffect::Information(Box::new(change)),
            reply.added(files.len(), &refused)?,
        ))
    }
}

#[async_trait]
impl InboundHandler for MailHandler {
    async fn handle(
        &self,
        row: &InboundRow,
        payload: &[u8],
    ) -> Result<InboundCompletion, HandleError> {
        // A mail that cannot be read is kept, failed with the reason, for an operator.
        let mail = parse(payload).map_err(|e| HandleError::Permanent(e.to_string()))?;
        // The same mail delivered twice (by the relay and over IMAP, or again after a
        // UIDVALIDITY change) is known by its sender and Message-ID, whatever its bytes.
        let key = match (&mail.from, &mail.message_id) {
            (Some(from), Some(id)) if mail.report.is_none() => {
                Some(self.hub.mail_identity(from, id))
            }
            _ => None,
        };
        if let Some(key) = &key
            && self.hub.mail_seen(key).await?
        {
            tracing::info!(inbound.id = row.id, "the same mail again: nothing to do");
            return Ok(InboundCompletion::nothing());
        }
        let mut completion = self.handle_mail(row, &mail).await?;
        completion.mail_key = key;
        Ok(completion)
    }
}
