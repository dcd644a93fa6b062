//! What the gateway answers a mail about a case, by return: the status, the answer or the
//! information received, a closed case, an empty mail. One template (`mail_reply`) says
//! each, threaded under the sender's mail, with the case's signed address as Reply-To so
//! that their next reply finds the case again.
//!
//! A denunciation's answer goes to its denouncer's chosen channel, read from the sealed
//! identity when it is sent (`Target::Denouncer`), so no address of theirs is in the outbox,
//! and it tells only the code and the status.

use hdnd_hub::Error;
use hdnd_hub::delivery::email::new_message_id;
use hdnd_hub::delivery::notify::RefusedFile;
use hdnd_hub::delivery::outbox::{Category, Destination, NewNotification, Target};
use hdnd_hub::delivery::{ChannelKind, EmailMessage};
use hdnd_hub::domain::calendar::vn_date;
use hdnd_hub::domain::{CaseKind, Language, Status};
use hdnd_hub::inbound::HandleError;
use hdnd_hub::private_view::PrivateCase;
use serde_json::{Map, Value, json};

use crate::handler::MailHandler;
use crate::parse::ParsedMail;

/// The answers to one mail about one case.
pub(crate) struct Reply<'a> {
    handler: &'a MailHandler,
    mail: &'a ParsedMail,
    to: &'a str,
    case: &'a PrivateCase,
}

impl<'a> Reply<'a> {
    pub(crate) fn to(
        handler: &'a MailHandler,
        mail: &'a ParsedMail,
        to: &'a str,
        case: &'a PrivateCase,
    ) -> Self {
        Self {
            handler,
            mail,
            to,
            case,
        }
    }

    pub(crate) fn status(&self) -> Result<NewNotification, HandleError> {
        self.render("status", 0, &[])
    }

    /// The link that confirms a withdrawal (`<public_url>/rut-ho-so/<token>`).
    pub(crate) fn withdraw(&self, url: String) -> Result<NewNotification, HandleError> {
        self.render_with("withdraw", 0, &[], Some(url))
    }

    pub(crate) fn answered(&self) -> Result<NewNotification, HandleError> {
        self.render("answered", 0, &[])
    }

    pub(crate) fn added(
        &self,
        files: usize,
        refused: &[RefusedFile],
    ) -> Result<NewNotification, HandleError> {
        self.render("added", files, refused)
    }

    pub(crate) fn closed(&self) -> Result<NewNotification, HandleError> {
        self.render("closed", 0, &[])
    }

    fn render(
        &self,
        what: &str,
        files: usize,
        refused: &[RefusedFile],
    ) -> Result<NewNotification, HandleError> {
        self.render_with(what, files, refused, None)
    }

    fn render_with(
        &self,
        what: &str,
        files: usize,
        refused: &[RefusedFile],
        withdraw_url: Option<String>,
    ) -> Result<NewNotification, HandleError> {
        let case = self.case;
        let language = case.language;
        let denunciation = case.kind == CaseKind::ToCao;
        let settled = matches!(case.status, Status::Answered | Status::Explained);
        let data = json!({
            "council": { "name": self.handler.hub.profile().name },
            "reply": flags(what),
            "case": {
                "code": case.code.as_str(),
                "kind": case.kind.label(language),
                "status": case.status.label(language),
                "received_on": vn_date(case.received_on),
                "expected_by": case.expected_by.map(vn_date),
                "answer": case.answer.clone().filter(|_| settled && !denunciation),
            },
            "denunciation": denunciation,
            "files": files,
            "refused_files": refused,
            "withdraw_url": withdraw_url,
        });
        let reply_to = self
            .handler
            .hub
            .mail_key()
            .reply_address(&self.handler.mailbox, &case.code);
        let target = if denunciation {
            Target::Denouncer
        } else {
            Target::Contacts(vec![Destination {
                channel: ChannelKind::Email,
                address: self.to.to_owned(),
            }])
        };
        answer(self.handler, self.mail, language, &data, reply_to, target)
    }
}

/// The answer to a mail that has no content to file.
pub(crate) fn empty(
    handler: &MailHandler,
    mail: &ParsedMail,
    to: &str,
    language: Language,
) -> Result<NewNotification, HandleError> {
    let data = json!({
        "council": { "name": handler.hub.profile().name },
        "reply": flags("empty"),
        "case": {
            "code": null, "kind": null, "status": null, "received_on": null,
            "expected_by": null, "answer": null,
        },
        "denunciation": false,
        "files": 0,
        "refused_files": [],
        "withdraw_url": null,
    });
    let target = Target::Contacts(vec![Destination {
        channel: ChannelKind::Email,
        address: to.to_owned(),
    }]);
    answer(handler, mail, language, &data, None, target)
}

/// `{"status": true, "answered": false, …}`: which answer this is, every key present as the
/// templates render in strict mode.
fn flags(what: &str) -> Value {
    let flags: Map<String, Value> = ["status", "answered", "added", "closed", "empty", "withdraw"]
        .into_iter()
        .map(|w| (w.to_owned(), Value::Bool(w == what)))
        .collect();
    Value::Object(flags)
}

/// `mail_reply` rendered as a reply to `mail`: In-Reply-To its Message-ID, References its
/// thread, and for a denouncer also as a Telegram message (their chosen channel may be it).
fn answer(
    handler: &MailHandler,
    mail: &ParsedMail,
    language: Language,
    data: &Value,
    reply_to: Option<String>,
    to: Target,
) -> Result<NewNotification, HandleError> {
    let template = |e: &dyn std::fmt::Display| HandleError::from(Error::Template(e.to_string()));
    let email = handler
        .renderer
        .email("mail_reply", language, data)
        .map_err(|e| template(&e))?;
    let telegram = match to {
        Target::Denouncer => Some(
            handler
                .renderer
                .telegram("mail_reply", language, data)
                .map_err(|e| template(&e))?,
        ),
        Target::Contacts(_) => None,
    };
    let parent = mail.message_id.as_ref().map(|id| format!("<{id}>"));
    let mut references: Vec<String> = mail.references.iter().map(|id| format!("<{id}>")).collect();
    references.extend(parent.clone());
    let mut answer = conversation(handler, to, email, reply_to);
    if let Some(email) = &mut answer.email {
        email.in_reply_to = parent;
        email.references = references;
    }
    answer.telegram = telegram;
    Ok(answer)
}

/// An answer by return, rendered as `email`: one per stored mail (its dedupe key is
/// `inbound:<row id>:reply`), waiting for no quiet hours, since it answers what the person
/// just wrote.
pub(crate) fn conversation(
    handler: &MailHandler,
    to: Target,
    email: hdnd_hub::delivery::render::RenderedEmail,
    reply_to: Option<String>,
) -> NewNotification {
    NewNotification {
        key: "reply".to_owned(),
        to,
        category: Category::Conversation,
        urgent: true,
        email: Some(EmailMessage {
            subject: email.subject,
            text: email.text,
            html: Some(email.html),
            message_id: Some(new_message_id(&handler.domain)),
            in_reply_to: None,
            references: Vec::new(),
            list_unsubscribe: None,
            reply_to,
        }),
        telegram: None,
        due_at: handler.hub.clock().now(),
        suppressed: false,
    }
}
