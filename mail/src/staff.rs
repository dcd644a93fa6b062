//! An officer's mail: the reply to a case's notification that answers the citizen or asks
//! them a question, and the confirmation that sends it.
//!
//! A mail from an active staff account's address to a case's signed address, whose first
//! line is TRẢ LỜI / ANSWER or HỎI / QUESTION, is checked against the workflow and the
//! policy and then only confirmed: a mail goes to the address the account has on file (not
//! to whatever the mail said it was from), with Reply-To its signed confirmation address.
//! Replying XÁC NHẬN / CONFIRM to that address makes the change, read again from the first
//! mail as stored, so a replay or a second confirmation changes nothing twice: the case has
//! moved and the workflow refuses.

use hdnd_hub::Error;
use hdnd_hub::delivery::ChannelKind;
use hdnd_hub::delivery::outbox::{Destination, NewNotification, Target};
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{Actor, Case, ContactKind, Language, MessageId, Staff, Status};
use hdnd_hub::inbound::HandleError;
use hdnd_hub::storage::{InboundCompletion, InboundEffect};
use serde_json::{Map, Value, json};

use crate::handler::MailHandler;
use crate::parse::{ParsedMail, parse};
use crate::route::fold;

/// What an officer's reply asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffCommand {
    /// TRẢ LỜI / ANSWER: the council's answer to the citizen.
    Answer,
    /// HỎI / QUESTION: what the citizen should add.
    Question,
}

impl StaffCommand {
    fn status(self) -> Status {
        match self {
            StaffCommand::Answer => Status::Answered,
            StaffCommand::Question => Status::NeedsInfo,
        }
    }

    fn name(self, language: Language) -> &'static str {
        match (self, language) {
            (StaffCommand::Answer, Language::Vi) => "trả lời công dân",
            (StaffCommand::Question, Language::Vi) => "câu hỏi cho công dân",
            (StaffCommand::Answer, Language::En) => "answer to the citizen",
            (StaffCommand::Question, Language::En) => "question to the citizen",
        }
    }
}

/// The command on the first non-empty line of `reply` and the text after it (on that line
/// after a colon, and on the lines below), diacritics and case optional.
pub fn staff_command(reply: &str) -> Option<(StaffCommand, String)> {
    let mut lines = reply.lines().skip_while(|l| l.trim().is_empty());
    let first = lines.next()?.trim();
    let (word, rest) = first.split_once(':').unwrap_or((first, ""));
    let command = match fold(word.trim()).as_str() {
        "tra loi" | "answer" => StaffCommand::Answer,
        "hoi" | "cau hoi" | "question" => StaffCommand::Question,
        _ => return None,
    };
    let below: Vec<&str> = lines.collect();
    let text = format!("{}\n{}", rest.trim(), below.join("\n"));
    Some((command, text.trim().to_owned()))
}

/// Whether `reply` confirms: XÁC NHẬN / CONFIRM on its first line.
fn confirms(reply: &str) -> bool {
    reply
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .is_some_and(|l| {
            matches!(
                fold(l.trim_end_matches(['.', '!'])).as_str(),
                "xac nhan" | "confirm"
            )
        })
}

impl MailHandler {
    /// An officer's mail to a case's signed address, or to a confirmation address; `None`
    /// when it is neither (it is then read as anyone's).
    pub(crate) async fn staff_mail(
        &self,
        row_id: i64,
        mail: &ParsedMail,
        staff: &Staff,
    ) -> Result<Option<InboundCompletion>, HandleError> {
        if let Some((_, original)) = self
            .hub
            .mail_to_confirm(&self.mailbox, &mail.to, staff.id)
            .await?
        {
            if !confirms(&mail.reply) {
                return Ok(Some(InboundCompletion::nothing()));
            }
            return self.confirmed(&original, staff).await.map(Some);
        }
        if let Some(message) = self.hub.message_by_mail_address(&self.mailbox, &mail.to) {
            return self.message_reply(mail, staff, message).await.map(Some);
        }
        let named = self
            .hub
            .capability_by_mail_address(&self.mailbox, &mail.to)
            .await?;
        let Some((_, capability)) = named else {
            return Ok(None);
        };
        let case = self.hub.case_for_staff(staff.id, capability.case()).await;
        let case = match case {
            Ok(case) => case,
            // Not theirs to read: they are told nothing of it, as anyone would be.
            Err(Error::Domain(_)) => return Ok(Some(InboundCompletion::nothing())),
            Err(e) => return Err(e.into()),
        };
        let Some((command, text)) = staff_command(&mail.reply) else {
            let help = self.to_staff(staff, &case, "help", None, &[], None, None)?;
            return Ok(Some(answer(help)));
        };
        let request = request(staff, command, &text);
        let out = match self.hub.plan_transition(case.id, request).await {
            Ok(_) => {
                let confirm =
                    self.hub
                        .mail_key()
                        .confirm_address(&self.mailbox, row_id, staff.id.0);
                self.to_staff(
                    staff,
                    &case,
                    "confirm",
                    Some(command),
                    &lines(&text),
                    None,
                    confirm,
                )?
            }
            Err(Error::Domain(why)) => self.refused(staff, &case, command, &why)?,
            Err(e) => return Err(e.into()),
        };
        Ok(Some(answer(out)))
    }

    /// An officer's reply by mail to an internal message: a message in its thread, to
    /// everyone in it, applied with this mail's `done` (a replay sends nothing twice). One
    /// the hub refuses (not theirs, empty) changes nothing.
    async fn message_reply(
        &self,
        mail: &ParsedMail,
        staff: &Staff,
        message: MessageId,
    ) -> Result<InboundCompletion, HandleError> {
        match self
            .hub
            .plan_reply(staff.id, message, mail.reply.trim())
            .await
        {
            Ok(change) => {
                tracing::info!(staff.id = staff.id.0, "an internal reply came by mail");
                Ok(InboundCompletion {
                    effect: InboundEffect::Message(Box::new(change)),
                    ..InboundCompletion::nothing()
                })
            }
            Err(Error::Domain(why)) => {
                tracing::info!(
                    staff.id = staff.id.0,
                    "an internal reply by mail was refused: {why}"
                );
                Ok(InboundCompletion::nothing())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The confirmation of `original`, the officer's first mail as stored: its command is
    /// planned again, now, and applied with this mail's `done`.
    async fn confirmed(
        &self,
        original: &[u8],
        staff: &Staff,
    ) -> Result<InboundCompletion, HandleError> {
        let first = parse(original).map_err(|e| HandleError::Permanent(e.to_string()))?;
        let named = self
            .hub
            .capability_by_mail_address(&self.mailbox, &first.to)
            .await?;
        let (Some((_, capability)), Some((command, text))) = (named, staff_command(&first.reply))
        else {
            return Ok(InboundCompletion::nothing());
        };
        let request = request(staff, command, &text);
        let case_id = capability.case();
        match self.hub.plan_transition(case_id, request).await {
            Ok(change) => {
                let case = self.hub.case_for_staff(staff.id, case_id).await?;
                let mut after = case.clone();
                after.progress.status = command.status();
                let done = self.to_staff(staff, &after, "done", Some(command), &[], None, None)?;
                tracing::info!(case.code = %case.code, staff.id = staff.id.0, "an officer's mail confirmed");
                Ok(InboundCompletion {
                    effect: InboundEffect::Progress(Box::new(change)),
                    ..answer(done)
                })
            }
            Err(Error::Domain(why)) => {
                let case = self.hub.case_for_staff(staff.id, case_id).await?;
                Ok(answer(self.refused(staff, &case, command, &why)?))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Why `command` could not be made, to the officer.
    fn refused(
        &self,
        staff: &Staff,
        case: &Case,
        command: StaffCommand,
        why: &hdnd_hub::DomainError,
    ) -> Result<NewNotification, HandleError> {
        let reason = why.to_string();
        self.to_staff(
            staff,
            case,
            "refused",
            Some(command),
            &[],
            Some(&reason),
            None,
        )
    }

    /// `mail_staff` to the officer's own address on file.
    #[allow(clippy::too_many_arguments)]
    fn to_staff(
        &self,
        staff: &Staff,
        case: &Case,
        what: &str,
        command: Option<StaffCommand>,
        text: &[&str],
        reason: Option<&str>,
        reply_to: Option<String>,
    ) -> Result<NewNotification, HandleError> {
        let language = staff.language;
        let flags: Map<String, Value> = ["confirm", "done", "refused", "help"]
            .into_iter()
            .map(|w| (w.to_owned(), Value::Bool(w == what)))
            .collect();
        let data = json!({
            "council": { "name": self.hub.profile().name },
            "staff": { "name": staff.display_name },
            "reply": flags,
            "case": {
                "code": case.code.as_str(),
                "status": case.progress.status.label(language),
            },
            "action": command.map(|c| c.name(language)),
            "text": text,
            "reason": reason,
        });
        let email = self
            .renderer
            .email("mail_staff", language, &data)
            .map_err(|e| HandleError::from(Error::Template(e.to_string())))?;
        let address = staff
            .contacts
            .iter()
            .find(|c| c.kind == ContactKind::Email)
            .map(|c| c.address.clone())
            .ok_or_else(|| HandleError::Permanent("the officer has no email address".to_owned()))?;
        let to = Target::Contacts(vec![Destination {
            channel: ChannelKind::Email,
            address,
        }]);
        Ok(crate::reply::conversation(self, to, email, reply_to))
    }
}

fn request(staff: &Staff, command: StaffCommand, text: &str) -> TransitionRequest {
    TransitionRequest::to(command.status(), Actor::Staff(staff.id)).with_text(text)
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

fn answer(reply: NewNotification) -> InboundCompletion {
    InboundCompletion {
        replies: vec![reply],
        ..InboundCompletion::nothing()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_officers_first_line_names_the_command_and_the_rest_is_its_text() {
        assert_eq!(
            staff_command("TRẢ LỜI\nĐã sửa đèn.\nCảm ơn ông/bà."),
            Some((
                StaffCommand::Answer,
                "Đã sửa đèn.\nCảm ơn ông/bà.".to_owned()
            ))
        );
        assert_eq!(
            staff_command("\nhoi: Xin cho biết số nhà?"),
            Some((StaffCommand::Question, "Xin cho biết số nhà?".to_owned()))
        );
        assert_eq!(
            staff_command("Question:\nWhich house?"),
            Some((StaffCommand::Question, "Which house?".to_owned()))
        );
        assert_eq!(staff_command("Cảm ơn, tôi sẽ xem."), None);
        assert!(confirms("Xác nhận."));
        assert!(confirms("xac nhan"));
        assert!(confirms("CONFIRM"));
        assert!(!confirms("Không xác nhận"));
    }
}
