//! Rendering notifications from the handlebars templates under `templates/email/` and
//! `templates/telegram/`, each for its own channel.
//!
//! Every email has three parts, `subject`, `text` and `html`, one file per part and locale:
//! `templates/email/<name>/<part>.<locale>.hbs`. A Telegram message is one file,
//! `templates/telegram/<name>.<locale>.hbs`, in Telegram's HTML parse mode, split after
//! rendering into messages of at most 4096 UTF-16 units. The built-in copies are compiled into
//! the binary; a file of the same name under the operator's template folder replaces one, so a
//! text can change without a rebuild. A message is rendered in the recipient's language, or in
//! Vietnamese when that language has no template.
//!
//! Three registries, all in strict mode (every key a template reads must be present, in
//! `{{#if}}` and `{{#unless}}` too; `null` is allowed and counts as false): the email HTML part
//! escapes HTML; subjects and plain text are not HTML and show `&` and `<` as they are; Telegram
//! text escapes only `&`, `<` and `>`, which is what its parse mode asks for.
//! Templates tell string values apart with handlebars' built-in `eq`, as in
//! `{{#if (eq stage "overdue")}}`; it fails on a missing key in strict mode as well.

use std::path::{Path, PathBuf};

use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, JsonTruthy, Output, RenderContext,
    RenderErrorReason, Renderable,
};
use serde_json::Value;

use crate::domain::Language;
use crate::notification::telegram::{MESSAGE_LIMIT, escape_html, split_html};
use crate::notification::{ChannelKind, TelegramMessage};

/// The locale every email exists in, and the one used when the recipient's is missing.
const FALLBACK: Language = Language::Vi;

/// The three parts of an email template.
const PARTS: [&str; 3] = ["subject", "text", "html"];

/// The registry name's part of a Telegram template: `case_status/telegram.vi`.
const TELEGRAM_PART: &str = "telegram";

/// Lists each built-in template as `(name, part, locale, text)`.
macro_rules! builtin_templates {
    ($($name:literal),+ $(,)?) => {
        &[$(
            builtin_templates!(@one $name, "subject", "vi"),
            builtin_templates!(@one $name, "text", "vi"),
            builtin_templates!(@one $name, "html", "vi"),
            builtin_templates!(@one $name, "subject", "en"),
            builtin_templates!(@one $name, "text", "en"),
            builtin_templates!(@one $name, "html", "en"),
        )+]
    };
    (@one $name:literal, $part:literal, $locale:literal) => {
        (
            $name,
            $part,
            $locale,
            include_str!(concat!(
                "../../../templates/email/", $name, "/", $part, ".", $locale, ".hbs"
            )),
        )
    };
}

/// Every built-in email template, as `(name, part, locale, text)`.
const BUILTIN: &[(&str, &str, &str, &str)] = builtin_templates!(
    "case_received",
    "case_status",
    "case_follow_update",
    "staff_new_case",
    "staff_assigned",
    "staff_info_added",
    "staff_reopened",
    "reminder_event",
    "reminder_task",
    "deadline_warning",
    "morning_digest",
    "staff_message",
    "mail_reply",
    "mail_staff",
);

/// Lists each built-in Telegram template as `(name, locale, text)`.
macro_rules! builtin_telegram {
    ($($name:literal),+ $(,)?) => {
        &[$(
            ($name, "vi", include_str!(concat!("../../../templates/telegram/", $name, ".vi.hbs"))),
            ($name, "en", include_str!(concat!("../../../templates/telegram/", $name, ".en.hbs"))),
        )+]
    };
}

/// Every built-in Telegram template, as `(name, locale, text)`.
const BUILTIN_TELEGRAM: &[(&str, &str, &str)] = builtin_telegram!(
    "case_received",
    "case_status",
    "case_follow_update",
    "staff_new_case",
    "staff_assigned",
    "staff_info_added",
    "staff_reopened",
    "staff_room_update",
    "reminder_event",
    "reminder_task",
    "deadline_warning",
    "morning_digest",
    "bot_start",
    "bot_help",
    "bot_language",
    "bot_fallback",
    "bot_step",
    "bot_cancelled",
    "bot_mycases",
    "bot_status",
    "bot_answered",
    "bot_added",
    "bot_withdrawn",
    "bot_slow_down",
    "bot_rated",
    "bot_follow",
    "bot_linked",
    "bot_staff",
    "staff_message",
    "bot_messages",
    "bot_inbox",
    "bot_case",
    "bot_tasks",
    "bot_agenda",
    "mail_reply",
);

/// Why an email template could not be loaded or rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// An operator's template file exists but cannot be read.
    #[error("template {template}: cannot read {}: {source}", path.display())]
    Read {
        template: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A template does not compile.
    #[error("template {template}: does not compile: {source}")]
    Compile {
        template: String,
        #[source]
        source: Box<handlebars::TemplateError>,
    },
    /// Rendering failed, usually because the data lacks a key the template reads.
    #[error("template {template}: cannot render: {source}")]
    Render {
        template: String,
        #[source]
        source: Box<handlebars::RenderError>,
    },
    /// No template of that name exists, not even in Vietnamese.
    #[error("no {channel} template named `{name}`")]
    Unknown { channel: &'static str, name: String },
}

/// One email, rendered for one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    /// One line; an email about a case carries its code in square brackets.
    pub subject: String,
    /// Plain text, LF line ends, one final newline.
    pub text: String,
    /// A whole HTML document.
    pub html: String,
}

/// The compiled email and Telegram templates.
#[derive(Debug)]
pub struct Renderer {
    /// The `html` parts, with handlebars' HTML escaping.
    html: Handlebars<'static>,
    /// The `subject` and `text` parts, without escaping.
    text: Handlebars<'static>,
    /// Telegram messages, with Telegram's HTML escaping.
    telegram: Handlebars<'static>,
}

impl Renderer {
    /// Compiles the built-in templates, each replaced by
    /// `<dir>/email/<name>/<part>.<locale>.hbs` or `<dir>/telegram/<name>.<locale>.hbs` when
    /// that file exists.
    pub fn load(dir: Option<&Path>) -> Result<Renderer, RenderError> {
        let email = BUILTIN.iter().map(|&(name, part, locale, builtin)| {
            let file = dir.map(|d| {
                d.join("email")
                    .join(name)
                    .join(format!("{part}.{locale}.hbs"))
            });
            (name, part, locale, builtin, file)
        });
        let telegram = BUILTIN_TELEGRAM.iter().map(|&(name, locale, builtin)| {
            let file = dir.map(|d| d.join("telegram").join(format!("{name}.{locale}.hbs")));
            (name, TELEGRAM_PART, locale, builtin, file)
        });
        Self::from_sources(email.chain(telegram))
    }

    /// The built-in templates only.
    pub fn builtin() -> Renderer {
        Self::load(None).expect("the built-in email templates compile")
    }

    /// Compiles `(name, part, locale, built-in text, operator's file)` entries.
    fn from_sources<'a>(
        sources: impl Iterator<Item = (&'a str, &'a str, &'a str, &'a str, Option<PathBuf>)>,
    ) -> Result<Renderer, RenderError> {
        let mut html = strict_registry();
        let mut text = strict_registry();
        text.register_escape_fn(handlebars::no_escape);
        let mut telegram = strict_registry();
        telegram.register_escape_fn(escape_html);

        for (name, part, locale, builtin, file) in sources {
            let template = key(name, part, locale);
            let source = match file.filter(|f| f.is_file()) {
                Some(path) => match std::fs::read_to_string(&path) {
                    Ok(source) => source,
                    Err(source) => {
                        return Err(RenderError::Read {
                            template,
                            path,
                            source,
                        });
                    }
                },
                None => builtin.to_owned(),
            };
            let registry = match part {
                "html" => &mut html,
                TELEGRAM_PART => &mut telegram,
                _ => &mut text,
            };
            registry
                .register_template_string(&template, source)
                .map_err(|source| RenderError::Compile {
                    template: template.clone(),
                    source: Box::new(source),
                })?;
        }
        Ok(Renderer {
            html,
            text,
            telegram,
        })
    }

    /// Renders the email `name` in `language`, or in Vietnamese when `language` has no
    /// template of that name.
    pub fn email(
        &self,
        name: &str,
        language: Language,
        data: &Value,
    ) -> Result<RenderedEmail, RenderError> {
        let locale = [language, FALLBACK]
            .into_iter()
            .map(Language::as_str)
            .find(|locale| self.has_email(name, locale))
            .ok_or_else(|| RenderError::Unknown {
                channel: "email",
                name: name.to_owned(),
            })?;
        let subject = render(&self.text, &key(name, "subject", locale), data)?;
        let text = render(&self.text, &key(name, "text", locale), data)?;
        let html = render(&self.html, &key(name, "html", locale), data)?;
        Ok(RenderedEmail {
            subject: one_line(&subject),
            text: tidy_text(&text),
            html,
        })
    }

    /// Renders the Telegram message `name` in `language`, or in Vietnamese when `language` has
    /// no template of that name, split into parts that each fit one message. The keyboard is
    /// empty; a caller that offers buttons sets it.
    pub fn telegram(
        &self,
        name: &str,
        language: Language,
        data: &Value,
    ) -> Result<TelegramMessage, RenderError> {
        let locale = [language, FALLBACK]
            .into_iter()
            .map(Language::as_str)
            .find(|locale| {
                self.telegram
                    .has_template(&key(name, TELEGRAM_PART, locale))
            })
            .ok_or_else(|| RenderError::Unknown {
                channel: "Telegram",
                name: name.to_owned(),
            })?;
        let text = render(&self.telegram, &key(name, TELEGRAM_PART, locale), data)?;
        Ok(TelegramMessage {
            parts: split_html(tidy_text(&text).trim_end(), MESSAGE_LIMIT),
            ..TelegramMessage::default()
        })
    }

    /// Renders `name` for each of `channels`: the email and the Telegram message, each `None`
    /// when its channel is not among them.
    pub fn for_channels(
        &self,
        name: &str,
        language: Language,
        data: &Value,
        channels: &[ChannelKind],
    ) -> Result<(Option<RenderedEmail>, Option<TelegramMessage>), RenderError> {
        let email = channels
            .contains(&ChannelKind::Email)
            .then(|| self.email(name, language, data))
            .transpose()?;
        let telegram = channels
            .contains(&ChannelKind::Telegram)
            .then(|| self.telegram(name, language, data))
            .transpose()?;
        Ok((email, telegram))
    }

    /// Whether all three parts of `name` exist in `locale`. A locale is taken whole or not at
    /// all, so that an email never mixes two languages.
    fn has_email(&self, name: &str, locale: &str) -> bool {
        PARTS.iter().all(|part| {
            let registry = if *part == "html" {
                &self.html
            } else {
                &self.text
            };
            registry.has_template(&key(name, part, locale))
        })
    }
}

/// A registry in strict mode whose `if` and `unless` are strict too.
fn strict_registry() -> Handlebars<'static> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_helper("if", Box::new(StrictIf { positive: true }));
    registry.register_helper("unless", Box::new(StrictIf { positive: false }));
    registry
}

/// `{{#if}}` and `{{#unless}}` that fail on a missing key, as `{{key}}` does in strict mode.
// handlebars' own `if` treats a missing key as false even in strict mode, so a misspelt
// `{{#if case.titel}}` would silently drop the field from every email.
#[derive(Debug, Clone, Copy)]
struct StrictIf {
    positive: bool,
}

impl HelperDef for StrictIf {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        r: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        rc: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let name = if self.positive { "if" } else { "unless" };
        let param = h
            .param(0)
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))?;
        if param.is_value_missing() {
            return Err(RenderErrorReason::MissingVariable(param.relative_path().cloned()).into());
        }
        let chosen = if param.value().is_truthy(false) == self.positive {
            h.template()
        } else {
            h.inverse()
        };
        match chosen {
            Some(template) => template.render(r, ctx, rc, out),
            None => Ok(()),
        }
    }
}

/// The registry name of one part: `case_status/subject.vi`.
fn key(name: &str, part: &str, locale: &str) -> String {
    format!("{name}/{part}.{locale}")
}

fn render(
    registry: &Handlebars<'static>,
    template: &str,
    data: &Value,
) -> Result<String, RenderError> {
    registry
        .render(template, data)
        .map_err(|source| RenderError::Render {
            template: template.to_owned(),
            source: Box::new(source),
        })
}

/// Collapses every run of whitespace, newlines included, into one space: a header is one line,
/// and a title typed with a line break must not end the subject early.
fn one_line(subject: &str) -> String {
    subject.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trims trailing spaces, keeps at most one blank line in a row, and ends with one newline.
// Optional fields sit on lines of their own in the templates; without this, an absent field
// would leave an empty line or a double gap behind it.
fn tidy_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = true;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            if !blank_run {
                out.push('\n');
            }
            blank_run = true;
        } else {
            out.push_str(line);
            out.push('\n');
            blank_run = false;
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn council() -> Value {
        json!({ "name": "HĐND phường Hồng Bàng" })
    }

    fn status_data(denunciation: bool) -> Value {
        json!({
            "council": council(),
            "case": {
                "code": "HB.20261126.0012",
                "kind": "Kiến nghị",
                "title": "Đèn & <cột> ngõ 12 bị hỏng",
                "status": "Đã thụ lý",
                "note": "Đơn vị điện lực sẽ thay bóng đèn trong tuần này.",
            },
            "denunciation": denunciation,
        })
    }

    fn received_data() -> Value {
        json!({
            "council": council(),
            "case": {
                "code": "HB.20261126.0012",
                "kind": "Kiến nghị",
                "title": "Đèn & <cột> ngõ 12 bị hỏng",
                "status": "Đã tiếp nhận",
                "received_on": "26/11/2026",
                "council_due": "10/12/2026",
            },
            "denunciation": false,
            "private_url": "https://hdnd.example.org/ho-so-rieng/00ff",
            "refused_files": [{ "name": "<script>.exe", "reason": "Loại tệp không được nhận." }],
        })
    }

    /// The gateway's answer to a mail, as `hdnd_mail::reply` builds it.
    fn mail_reply_data(what: &str) -> Value {
        let reply: serde_json::Map<String, Value> =
            ["status", "answered", "added", "closed", "empty", "withdraw"]
                .into_iter()
                .map(|w| (w.to_owned(), Value::Bool(w == what)))
                .collect();
        json!({
            "council": council(),
            "reply": reply,
            "case": {
                "code": "HB.20261126.0012",
                "kind": "Kiến nghị",
                "status": "Đã thụ lý",
                "received_on": "26/11/2026",
                "expected_by": "10/12/2026",
                "answer": null,
            },
            "denunciation": false,
            "files": 1,
            "refused_files": [{ "name": "<script>.exe", "reason": "Loại tệp không được nhận." }],
            "withdraw_url": "https://hdnd.example.org/rut-ho-so/hb.20261126.0012.1.00ff",
        })
    }

    /// The gateway's answer to an officer's mail, as `hdnd_mail::staff` builds it.
    fn mail_staff_data(what: &str) -> Value {
        let reply: serde_json::Map<String, Value> = ["confirm", "done", "refused", "help"]
            .into_iter()
            .map(|w| (w.to_owned(), Value::Bool(w == what)))
            .collect();
        json!({
            "council": council(),
            "staff": { "name": "Trần <Thị> Lan" },
            "reply": reply,
            "case": { "code": "HB.20261126.0012", "status": "Đã thụ lý" },
            "action": "câu hỏi",
            "text": ["Xin cho biết <số nhà>.", "Cảm ơn."],
            "reason": "hồ sơ đã có kết quả",
        })
    }

    fn follow_data(news: &str, unsubscribe_url: Option<&str>) -> Value {
        json!({
            "council": council(),
            "news": news,
            "case": {
                "code": "HB.20261126.0012",
                "title": "Đèn & <cột> ngõ 12",
                "kind": "Kiến nghị",
                "status": "Đã giải quyết",
                "area": "Tổ dân phố 5",
                "answer": "Điện lực đã thay bóng đèn.",
            },
            "unsubscribe_url": unsubscribe_url,
        })
    }

    fn reopened_data() -> Value {
        let mut case = staff_case();
        case["note"] = json!("Đèn lại hỏng sau hai ngày.");
        json!({ "council": council(), "staff": { "name": "Nguyễn Thị Lan" }, "case": case })
    }

    fn staff_case() -> Value {
        json!({
            "code": "HB.20261126.0012",
            "kind": "Kiến nghị",
            "title": "Đèn chiếu sáng ngõ 12 bị hỏng",
            "area": "Phường Hồng Bàng, tổ dân phố 5",
            "received_on": "26/11/2026",
            "council_due": "10/12/2026",
            "statutory_due": null,
            "deadline_unknown": false,
        })
    }

    #[test]
    fn every_builtin_email_renders_in_both_languages_with_the_code_in_a_one_line_subject() {
        // Arrange
        let renderer = Renderer::builtin();
        let staff = json!({ "name": "Nguyễn Thị Lan" });
        let emails = [
            ("case_received", received_data()),
            ("case_status", status_data(false)),
            (
                "staff_new_case",
                json!({ "council": council(), "staff": staff, "case": staff_case(), "reply_by_mail": true }),
            ),
            (
                "staff_assigned",
                json!({ "council": council(), "staff": staff, "case": staff_case(), "reply_by_mail": false }),
            ),
            (
                "staff_info_added",
                json!({ "council": council(), "staff": staff, "case": staff_case() }),
            ),
            ("staff_reopened", reopened_data()),
            (
                "case_follow_update",
                follow_data("status", Some(UNSUBSCRIBE)),
            ),
            ("case_follow_update", follow_data("answer", None)),
            ("mail_reply", mail_reply_data("status")),
            ("mail_reply", mail_reply_data("answered")),
            ("mail_reply", mail_reply_data("added")),
            ("mail_reply", mail_reply_data("closed")),
            ("mail_reply", mail_reply_data("withdraw")),
            ("mail_staff", mail_staff_data("confirm")),
            ("mail_staff", mail_staff_data("done")),
            ("mail_staff", mail_staff_data("refused")),
            ("mail_staff", mail_staff_data("help")),
        ];

        for (name, data) in emails {
            for language in Language::ALL {
                // Act
                let email = renderer
                    .email(name, *language, &data)
                    .unwrap_or_else(|e| panic!("{name} in {language}: {e}"));

                // Assert
                assert!(
                    email.subject.contains("[HB.20261126.0012]"),
                    "{name}: {}",
                    email.subject
                );
                assert!(!email.subject.contains('\n'), "{name}: {}", email.subject);
                assert!(email.text.contains("HB.20261126.0012"), "{name}");
                assert!(!email.text.contains("\n\n\n"), "{name}: {}", email.text);
                assert!(email.text.ends_with(".\n"), "{name}: {:?}", email.text);
                assert!(
                    email
                        .html
                        .contains(&format!("<html lang=\"{}\">", language.as_str())),
                    "{name}"
                );
                assert!(!email.html.contains("<img"), "{name}");
            }
        }
    }

    #[test]
    fn email_falls_back_to_vietnamese_when_the_english_file_is_missing() {
        // Arrange: only the Vietnamese parts of case_status.
        let renderer = Renderer::from_sources(
            BUILTIN
                .iter()
                .filter(|(name, _, locale, _)| *name == "case_status" && *locale == "vi")
                .map(|&(name, part, locale, text)| (name, part, locale, text, None)),
        )
        .unwrap();

        // Act
        let email = renderer
            .email("case_status", Language::En, &status_data(false))
            .unwrap();

        // Assert
        assert!(email.subject.contains("Cập nhật tình trạng hồ sơ"));
        assert!(email.text.starts_with("Kính gửi ông/bà,"));
        assert!(email.html.contains("<html lang=\"vi\">"));
    }

    #[test]
    fn email_uses_the_recipients_language_when_it_exists() {
        // Arrange
        let renderer = Renderer::builtin();

        // Act
        let email = renderer
            .email("case_status", Language::En, &status_data(false))
            .unwrap();

        // Assert
        assert_eq!(
            email.subject,
            "[HB.20261126.0012] Case status update: Đã thụ lý"
        );
        assert!(email.text.starts_with("Dear Sir or Madam,"));
    }

    #[test]
    fn html_is_escaped_while_text_and_subject_are_not() {
        // Arrange
        let renderer = Renderer::builtin();
        let mut data = status_data(false);
        data["case"]["status"] = json!("Đã chuyển <Sở & Ngành>");

        // Act
        let email = renderer.email("case_status", Language::Vi, &data).unwrap();

        // Assert
        assert!(email.text.contains("Trích yếu: Đèn & <cột> ngõ 12 bị hỏng"));
        assert!(email.subject.ends_with("Đã chuyển <Sở & Ngành>"));
        assert!(email.html.contains("Đèn &amp; &lt;cột&gt; ngõ 12 bị hỏng"));
        assert!(!email.html.contains("<cột>"));
    }

    #[test]
    fn case_status_of_a_denunciation_shows_only_the_code_and_status() {
        // Arrange
        let renderer = Renderer::builtin();
        let data = status_data(true);

        for language in Language::ALL {
            // Act
            let email = renderer.email("case_status", *language, &data).unwrap();

            // Assert
            for part in [&email.subject, &email.text, &email.html] {
                assert!(part.contains("HB.20261126.0012"));
                assert!(part.contains("Đã thụ lý"));
                assert!(!part.contains("ngõ 12"), "{part}");
                assert!(!part.contains("bóng đèn"), "{part}");
                assert!(!part.contains("Kiến nghị"), "{part}");
            }
        }
    }

    #[test]
    fn case_received_of_a_denunciation_shows_only_the_code_and_status() {
        // Arrange
        let renderer = Renderer::builtin();
        let mut data = received_data();
        data["denunciation"] = json!(true);
        data["case"]["kind"] = json!("Tố cáo");

        // Act
        let email = renderer
            .email("case_received", Language::Vi, &data)
            .unwrap();

        // Assert
        for part in [&email.subject, &email.text, &email.html] {
            assert!(part.contains("HB.20261126.0012"));
            assert!(!part.contains("Tố cáo"), "{part}");
            assert!(!part.contains("ngõ 12"), "{part}");
        }
        assert!(email.text.contains("Tình trạng: Đã tiếp nhận"));
    }

    #[test]
    fn subject_is_one_line_when_the_data_holds_line_breaks() {
        // Arrange
        let renderer = Renderer::builtin();
        let mut data = status_data(false);
        data["case"]["status"] = json!("Đã trả lời\n  (lần 2)");

        // Act
        let email = renderer.email("case_status", Language::Vi, &data).unwrap();

        // Assert
        assert_eq!(
            email.subject,
            "[HB.20261126.0012] Cập nhật tình trạng hồ sơ: Đã trả lời (lần 2)"
        );
    }

    #[test]
    fn optional_fields_leave_no_gap_when_they_are_null() {
        // Arrange
        let renderer = Renderer::builtin();
        let mut data = received_data();
        data["case"]["title"] = Value::Null;
        data["case"]["council_due"] = Value::Null;

        // Act
        let email = renderer
            .email("case_received", Language::Vi, &data)
            .unwrap();

        // Assert
        assert!(!email.text.contains("Trích yếu"));
        assert!(!email.html.contains("Trích yếu"));
        assert!(
            email
                .text
                .contains("Loại hồ sơ: Kiến nghị\nNgày tiếp nhận: 26/11/2026\n\n")
        );
    }

    #[test]
    fn render_fails_naming_the_template_when_a_key_is_missing() {
        // Arrange
        let renderer = Renderer::builtin();
        let mut data = status_data(false);
        data["case"].as_object_mut().unwrap().remove("note");

        // Act
        let error = renderer
            .email("case_status", Language::Vi, &data)
            .unwrap_err();

        // Assert
        assert!(matches!(error, RenderError::Render { .. }), "{error}");
        assert!(error.to_string().contains("case_status/text.vi"), "{error}");
    }

    #[test]
    fn render_fails_when_a_key_read_only_by_if_is_missing() {
        // Arrange
        let renderer = Renderer::builtin();
        let mut data = received_data();
        data["case"].as_object_mut().unwrap().remove("council_due");

        // Act
        let error = renderer
            .email("case_received", Language::Vi, &data)
            .unwrap_err();

        // Assert
        assert!(error.to_string().contains("council_due"), "{error}");
    }

    #[test]
    fn unknown_email_is_an_error() {
        let error = Renderer::builtin()
            .email("no_such_email", Language::Vi, &json!({}))
            .unwrap_err();
        assert!(matches!(error, RenderError::Unknown { .. }), "{error}");
    }

    #[test]
    fn load_prefers_the_operators_file_over_the_builtin() {
        // Arrange
        let dir = std::env::temp_dir().join(format!("hdnd-render-{:016x}", rand::random::<u64>()));
        let folder = dir.join("email").join("case_status");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("subject.vi.hbs"),
            "[{{case.code}}] Thông báo mới: {{case.status}}",
        )
        .unwrap();

        // Act
        let renderer = Renderer::load(Some(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
        let email = renderer
            .unwrap()
            .email("case_status", Language::Vi, &status_data(false))
            .unwrap();

        // Assert
        assert_eq!(email.subject, "[HB.20261126.0012] Thông báo mới: Đã thụ lý");
        assert!(email.text.starts_with("Kính gửi ông/bà,"));
    }

    #[test]
    fn load_fails_naming_the_template_when_an_operators_file_does_not_compile() {
        // Arrange
        let dir = std::env::temp_dir().join(format!("hdnd-render-{:016x}", rand::random::<u64>()));
        let folder = dir.join("email").join("case_received");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("html.en.hbs"), "<p>{{#if case.title}}</p>").unwrap();

        // Act
        let result = Renderer::load(Some(&dir));
        std::fs::remove_dir_all(&dir).unwrap();

        // Assert
        let error = result.unwrap_err();
        assert!(matches!(error, RenderError::Compile { .. }), "{error}");
        assert!(
            error.to_string().contains("case_received/html.en"),
            "{error}"
        );
    }

    const UNSUBSCRIBE: &str = "https://hdnd.example.org/huy-nhan-tin/abc123";

    fn staff() -> Value {
        json!({ "name": "Nguyễn Thị Lan" })
    }

    fn event_data(unsubscribe_url: Option<&str>) -> Value {
        json!({
            "council": council(),
            "staff": staff(),
            "event": {
                "title": "Họp thẩm tra & <dự thảo> nghị quyết",
                "kind": "Họp",
                "starts": "26/11/2026 14:00",
                "place": "Phòng họp tầng 2",
                "lead": "ngày mai",
            },
            "unsubscribe_url": unsubscribe_url,
        })
    }

    fn task_data(overdue: bool, case_code: Option<&str>) -> Value {
        json!({
            "council": council(),
            "staff": staff(),
            "task": {
                "title": "Dự thảo văn bản trả lời & <gửi> Sở Xây dựng",
                "due_on": "26/11/2026",
                "overdue": overdue,
                "case_code": case_code,
            },
            "unsubscribe_url": UNSUBSCRIBE,
        })
    }

    fn warning_data(stage: &str, escalated: bool, assignee: Option<&str>) -> Value {
        json!({
            "council": council(),
            "staff": staff(),
            "case": {
                "code": "HB.20261126.0012",
                "kind": "Kiến nghị",
                "title": "Đèn & <cột> ngõ 12 bị hỏng",
                "due_on": "10/12/2026",
                "clock": "Hạn xử lý của Hội đồng",
                "source": "Luật Tiếp công dân 2013, Điều 28 khoản 1",
            },
            "stage": stage,
            "days_left": if stage == "soon" { json!(3) } else { Value::Null },
            "escalated": escalated,
            "assignee": assignee,
        })
    }

    fn digest_data(with_items: bool) -> Value {
        let (events, tasks, cases) = if with_items {
            (
                json!([
                    { "time": "08:00", "title": "Giao ban Thường trực", "place": null },
                    {
                        "time": "14:00",
                        "title": "Tiếp công dân & <định kỳ>",
                        "place": "Trụ sở tiếp công dân",
                    },
                ]),
                json!([
                    { "title": "Tổng hợp ý kiến cử tri", "due_on": "26/11/2026", "overdue": false },
                    { "title": "Báo cáo giám sát quý IV", "due_on": "24/11/2026", "overdue": true },
                ]),
                json!([
                    {
                        "code": "HB.20261126.0012",
                        "title": "Đèn chiếu sáng ngõ 12 bị hỏng",
                        "due_on": "27/11/2026",
                        "stage": "soon",
                    },
                    {
                        "code": "HB.20261120.0003",
                        "title": "Lấn chiếm vỉa hè",
                        "due_on": "26/11/2026",
                        "stage": "today",
                    },
                    {
                        "code": "HB.20261102.0007",
                        "title": null,
                        "due_on": "20/11/2026",
                        "stage": "overdue",
                    },
                ]),
            )
        } else {
            (json!([]), json!([]), json!([]))
        };
        json!({
            "council": council(),
            "staff": staff(),
            "date": "Thứ Năm, 26/11/2026",
            "events": events,
            "tasks": tasks,
            "cases": cases,
            "unsubscribe_url": UNSUBSCRIBE,
        })
    }

    #[test]
    fn every_staff_reminder_renders_in_both_languages_as_a_self_contained_email() {
        // Arrange
        let renderer = Renderer::builtin();
        let emails = [
            (
                "reminder_event",
                event_data(Some(UNSUBSCRIBE)),
                "[Nhắc lịch] ",
            ),
            (
                "reminder_task",
                task_data(false, Some("HB.20261126.0012")),
                "[Nhắc việc] ",
            ),
            (
                "deadline_warning",
                warning_data("soon", false, None),
                "[HB.20261126.0012] ",
            ),
            ("morning_digest", digest_data(true), "[Lịch làm việc] "),
        ];

        for (name, data, vi_prefix) in emails {
            for language in Language::ALL {
                // Act
                let email = renderer
                    .email(name, *language, &data)
                    .unwrap_or_else(|e| panic!("{name} in {language}: {e}"));

                // Assert
                if *language == Language::Vi {
                    assert!(email.subject.starts_with(vi_prefix), "{}", email.subject);
                }
                assert!(!email.subject.contains('\n'), "{name}: {}", email.subject);
                assert!(email.text.contains("Nguyễn Thị Lan"), "{name}");
                assert!(!email.text.contains("\n\n\n"), "{name}: {}", email.text);
                assert!(email.text.ends_with('\n'), "{name}");
                assert!(
                    email
                        .html
                        .contains(&format!("<html lang=\"{}\">", language.as_str())),
                    "{name}"
                );
                for external in ["<img", "src=", "<link", "<script"] {
                    assert!(!email.html.contains(external), "{name}: {external}");
                }
            }
        }
    }

    #[test]
    fn reminder_event_shows_the_time_place_and_lead() {
        // Arrange
        let renderer = Renderer::builtin();
        let mut data = event_data(None);

        // Act
        let vi = renderer
            .email("reminder_event", Language::Vi, &data)
            .unwrap();
        data["event"]["lead"] = json!("in 1 hour");
        data["event"]["place"] = Value::Null;
        let en = renderer
            .email("reminder_event", Language::En, &data)
            .unwrap();

        // Assert
        assert_eq!(
            vi.subject,
            "[Nhắc lịch] Họp thẩm tra & <dự thảo> nghị quyết — 26/11/2026 14:00"
        );
        assert!(
            vi.text
                .contains("Xin nhắc: ngày mai đồng chí có lịch công tác sau.")
        );
        assert!(vi.text.contains("Địa điểm: Phòng họp tầng 2\n"));
        assert_eq!(
            en.subject,
            "[Reminder] Họp thẩm tra & <dự thảo> nghị quyết — 26/11/2026 14:00"
        );
        assert!(en.text.contains("the following engagement in 1 hour."));
        assert!(en.text.contains("Time: 26/11/2026 14:00\n\n"));
        assert!(!en.html.contains("Place"));
    }

    #[test]
    fn reminder_task_subject_names_the_case_only_when_the_task_has_one() {
        // Arrange
        let renderer = Renderer::builtin();

        // Act
        let with_case = renderer
            .email(
                "reminder_task",
                Language::Vi,
                &task_data(false, Some("HB.20261126.0012")),
            )
            .unwrap();
        let without_case = renderer
            .email("reminder_task", Language::En, &task_data(true, None))
            .unwrap();

        // Assert
        assert_eq!(
            with_case.subject,
            "[Nhắc việc] [HB.20261126.0012] Công việc đến hạn hôm nay: \
             Dự thảo văn bản trả lời & <gửi> Sở Xây dựng"
        );
        assert!(with_case.text.contains("Hồ sơ liên quan: HB.20261126.0012"));
        assert_eq!(
            without_case.subject,
            "[Reminder] Task overdue: Dự thảo văn bản trả lời & <gửi> Sở Xây dựng"
        );
        assert!(without_case.text.contains("The task below is overdue."));
        assert!(!without_case.text.contains("Related case"));
        assert!(!without_case.html.contains("Related case"));
    }

    #[test]
    fn deadline_warning_subject_names_the_stage_and_carries_the_code() {
        // Arrange
        let renderer = Renderer::builtin();
        let stages = [
            ("soon", "Hồ sơ sắp đến hạn", "Case due soon"),
            ("today", "Hồ sơ đến hạn hôm nay", "Case due today"),
            ("overdue", "Hồ sơ đã quá hạn", "Case overdue"),
        ];

        for (stage, vi_words, en_words) in stages {
            let data = warning_data(stage, false, None);

            // Act
            let vi = renderer
                .email("deadline_warning", Language::Vi, &data)
                .unwrap();
            let en = renderer
                .email("deadline_warning", Language::En, &data)
                .unwrap();

            // Assert
            assert_eq!(
                vi.subject,
                format!("[HB.20261126.0012] {vi_words} (Hạn xử lý của Hội đồng: 10/12/2026)")
            );
            assert_eq!(
                en.subject,
                format!("[HB.20261126.0012] {en_words} (Hạn xử lý của Hội đồng: 10/12/2026)")
            );
            for email in [&vi, &en] {
                assert!(email.text.contains("HB.20261126.0012"), "{stage}");
                assert!(email.html.contains("HB.20261126.0012"), "{stage}");
                assert!(
                    email.text.contains("Hạn xử lý của Hội đồng: 10/12/2026\n"),
                    "{stage}: {}",
                    email.text
                );
                assert!(email.text.ends_with(".\n"), "{stage}: {:?}", email.text);
            }
        }
    }

    #[test]
    fn deadline_warning_that_is_soon_counts_the_working_days_left() {
        // Arrange
        let renderer = Renderer::builtin();
        let mut data = warning_data("soon", false, None);

        // Act
        let vi = renderer
            .email("deadline_warning", Language::Vi, &data)
            .unwrap();
        let en_plural = renderer
            .email("deadline_warning", Language::En, &data)
            .unwrap();
        data["days_left"] = json!(1);
        let en_singular = renderer
            .email("deadline_warning", Language::En, &data)
            .unwrap();
        data["days_left"] = Value::Null;
        let en_unknown = renderer
            .email("deadline_warning", Language::En, &data)
            .unwrap();

        // Assert
        assert!(
            vi.text
                .contains("Hồ sơ dưới đây sắp đến hạn, còn 3 ngày làm việc.")
        );
        assert!(en_plural.text.contains("due soon: 3 working days left."));
        assert!(en_singular.text.contains("due soon: 1 working day left."));
        assert!(en_unknown.text.contains("The case below is due soon.\n"));
    }

    #[test]
    fn deadline_warning_escalated_to_the_lead_names_the_assignee() {
        // Arrange
        let renderer = Renderer::builtin();

        // Act
        let assigned = renderer
            .email(
                "deadline_warning",
                Language::Vi,
                &warning_data("overdue", true, Some("Trần Văn Minh")),
            )
            .unwrap();
        let unassigned = renderer
            .email(
                "deadline_warning",
                Language::En,
                &warning_data("today", true, None),
            )
            .unwrap();
        let to_assignee = renderer
            .email(
                "deadline_warning",
                Language::Vi,
                &warning_data("overdue", false, Some("Trần Văn Minh")),
            )
            .unwrap();

        // Assert
        assert!(
            assigned.subject.ends_with("— người xử lý: Trần Văn Minh"),
            "{}",
            assigned.subject
        );
        assert!(assigned.text.contains("Người xử lý: Trần Văn Minh\n"));
        assert!(assigned.text.contains("theo dõi, đôn đốc"));
        assert!(assigned.html.contains("<dd>Trần Văn Minh</dd>"));
        assert!(unassigned.subject.ends_with("— not yet assigned"));
        assert!(unassigned.text.contains("Assignee: not yet assigned\n"));
        assert!(!to_assignee.subject.contains("Trần Văn Minh"));
        assert!(!to_assignee.text.contains("Trần Văn Minh"));
        assert!(to_assignee.text.contains("cập nhật tiến độ"));
    }

    #[test]
    fn deadline_warning_fails_when_the_stage_is_missing() {
        // Arrange
        let renderer = Renderer::builtin();
        let mut data = warning_data("soon", false, None);
        data.as_object_mut().unwrap().remove("stage");

        // Act
        let error = renderer
            .email("deadline_warning", Language::Vi, &data)
            .unwrap_err();

        // Assert
        assert!(matches!(error, RenderError::Render { .. }), "{error}");
    }

    #[test]
    fn morning_digest_with_nothing_planned_shows_only_the_friendly_line() {
        // Arrange
        let renderer = Renderer::builtin();
        let data = digest_data(false);

        // Act
        let vi = renderer
            .email("morning_digest", Language::Vi, &data)
            .unwrap();
        let en = renderer
            .email("morning_digest", Language::En, &data)
            .unwrap();

        // Assert
        assert_eq!(vi.subject, "[Lịch làm việc] Thứ Năm, 26/11/2026");
        assert_eq!(en.subject, "[Agenda] Thứ Năm, 26/11/2026");
        for part in [&vi.text, &vi.html] {
            assert!(part.contains("Hôm nay đồng chí không có lịch công tác"));
            assert!(!part.contains("Lịch công tác"), "{part}");
            assert!(!part.contains("Công việc cần hoàn thành"), "{part}");
            assert!(!part.contains("Hồ sơ cần lưu ý"), "{part}");
        }
        for part in [&en.text, &en.html] {
            assert!(part.contains("You have no events, tasks due or case deadlines today."));
            assert!(!part.contains("<ul>"), "{part}");
        }
    }

    #[test]
    fn morning_digest_lists_every_event_task_and_case() {
        // Arrange
        let renderer = Renderer::builtin();
        let data = digest_data(true);

        // Act
        let vi = renderer
            .email("morning_digest", Language::Vi, &data)
            .unwrap();
        let en = renderer
            .email("morning_digest", Language::En, &data)
            .unwrap();

        // Assert
        assert!(
            vi.text.contains(
                "Lịch công tác:\n\
             - 08:00 — Giao ban Thường trực\n\
             - 14:00 — Tiếp công dân & <định kỳ> (Trụ sở tiếp công dân)\n\n\
             Công việc cần hoàn thành:\n\
             - Tổng hợp ý kiến cử tri (hạn 26/11/2026)\n\
             - Báo cáo giám sát quý IV (hạn 24/11/2026, đã quá hạn)\n\n\
             Hồ sơ cần lưu ý về thời hạn:\n\
             - HB.20261126.0012 — Đèn chiếu sáng ngõ 12 bị hỏng (hạn 27/11/2026, sắp đến hạn)\n\
             - HB.20261120.0003 — Lấn chiếm vỉa hè (hạn 26/11/2026, đến hạn hôm nay)\n\
             - HB.20261102.0007 (hạn 20/11/2026, đã quá hạn)\n\n"
            ),
            "{}",
            vi.text
        );
        assert!(!vi.text.contains("không có lịch công tác"));
        assert_eq!(vi.html.matches("<li>").count(), 7);
        assert!(
            en.text
                .contains("- Báo cáo giám sát quý IV (due 24/11/2026, overdue)\n")
        );
        assert!(en.text.contains("(deadline 26/11/2026, due today)\n"));
        assert!(!en.text.contains("You have no events"));
    }

    #[test]
    fn morning_digest_shows_only_the_sections_that_have_items() {
        // Arrange
        let renderer = Renderer::builtin();
        let mut data = digest_data(true);
        data["events"] = json!([]);
        data["cases"] = json!([]);

        // Act
        let email = renderer
            .email("morning_digest", Language::Vi, &data)
            .unwrap();

        // Assert
        assert!(email.text.contains("Công việc cần hoàn thành:"));
        assert!(!email.text.contains("Lịch công tác:"));
        assert!(!email.text.contains("Hồ sơ cần lưu ý"));
        assert!(!email.text.contains("không có lịch công tác"));
    }

    #[test]
    fn staff_reminders_escape_html_in_titles_but_not_in_text() {
        // Arrange
        let renderer = Renderer::builtin();
        let emails = [
            (
                "reminder_event",
                event_data(None),
                "Họp thẩm tra & <dự thảo> nghị quyết",
                "Họp thẩm tra &amp; &lt;dự thảo&gt; nghị quyết",
            ),
            (
                "reminder_task",
                task_data(false, None),
                "Dự thảo văn bản trả lời & <gửi> Sở Xây dựng",
                "Dự thảo văn bản trả lời &amp; &lt;gửi&gt; Sở Xây dựng",
            ),
            (
                "deadline_warning",
                warning_data("today", false, None),
                "Đèn & <cột> ngõ 12 bị hỏng",
                "Đèn &amp; &lt;cột&gt; ngõ 12 bị hỏng",
            ),
            (
                "morning_digest",
                digest_data(true),
                "Tiếp công dân & <định kỳ>",
                "Tiếp công dân &amp; &lt;định kỳ&gt;",
            ),
        ];

        for (name, data, raw, escaped) in emails {
            for language in Language::ALL {
                // Act
                let email = renderer.email(name, *language, &data).unwrap();

                // Assert
                assert!(email.text.contains(raw), "{name}");
                assert!(email.html.contains(escaped), "{name}");
                assert!(!email.html.contains(raw), "{name}");
            }
        }
    }

    #[test]
    fn staff_reminders_end_with_the_unsubscribe_line_only_when_there_is_a_url() {
        // Arrange
        let renderer = Renderer::builtin();
        let emails = [
            ("reminder_event", event_data(Some(UNSUBSCRIBE))),
            ("reminder_task", task_data(true, None)),
            ("morning_digest", digest_data(false)),
        ];

        for (name, with_url) in emails {
            let mut without_url = with_url.clone();
            without_url["unsubscribe_url"] = Value::Null;
            for language in Language::ALL {
                // Act
                let with_link = renderer.email(name, *language, &with_url).unwrap();
                let without_link = renderer.email(name, *language, &without_url).unwrap();

                // Assert
                let last_line = with_link.text.lines().last().unwrap();
                assert!(
                    last_line.ends_with(&format!(": {UNSUBSCRIBE}")),
                    "{name}: {last_line}"
                );
                let link = with_link
                    .html
                    .find(&format!("<a href=\"{UNSUBSCRIBE}\">"))
                    .unwrap_or_else(|| panic!("{name}: {}", with_link.html));
                assert!(!with_link.html[link..].contains("<p"), "{name}: not last");
                for part in [&without_link.text, &without_link.html] {
                    assert!(!part.contains(UNSUBSCRIBE), "{name}");
                    assert!(!part.contains("<a "), "{name}");
                }
                assert!(without_link.text.ends_with(".\n"), "{name}");
            }
        }
    }

    const READ_URL: &str = "https://hdnd.example.org/tin-noi-bo/0123abcd";

    fn staff_message_data(reply: bool, read_url: Option<&str>) -> Value {
        json!({
            "council": council(),
            "staff": { "name": "Nguyễn Thị Lan" },
            "sender": { "name": "Trần <Văn> Minh" },
            "message": {
                "id": 14, "thread": if reply { 12 } else { 14 }, "reply": reply,
                "audience": "các đồng chí Đại biểu",
                "body": "Họp lúc 14h & mang <tài liệu>.\nPhòng 2.",
                "sent_at": "09:30 26/11/2026",
            },
            "read_url": read_url,
        })
    }

    /// The data of `bot_messages` with every key, as the bot gives it.
    fn bot_messages_data(outcome: &str) -> Value {
        json!({
            "outcome": outcome, "id": 14, "thread": 12, "audience": "các đồng chí Đại biểu",
            "count": 3, "to": "ai <đó>", "max": 3000,
            "threads": [{
                "root": 12, "root_sender": "Trần Văn Minh", "audience": "toàn thể cán bộ",
                "unread": 1, "last_at": "09:30 26/11", "last_sender": "Lan", "excerpt": "Đã <nhận>",
                "own": { "id": 14, "read_count": 1, "total": 2, "read": "Lan", "unread": "Hùng" },
            }],
        })
    }

    #[test]
    fn an_internal_message_email_carries_its_read_link_and_the_body_escaped_in_html_only() {
        // Arrange
        let renderer = Renderer::builtin();

        for language in Language::ALL {
            // Act
            let with = renderer
                .email(
                    "staff_message",
                    *language,
                    &staff_message_data(false, Some(READ_URL)),
                )
                .unwrap();
            let reply = renderer
                .email("staff_message", *language, &staff_message_data(true, None))
                .unwrap();

            // Assert
            assert!(with.subject.starts_with("[#14] "), "{}", with.subject);
            assert!(reply.subject.starts_with("[#12] "), "{}", reply.subject);
            assert_ne!(with.subject, reply.subject);
            assert!(with.text.contains(READ_URL), "{}", with.text);
            assert!(
                with.text
                    .contains("Họp lúc 14h & mang <tài liệu>.\nPhòng 2.")
            );
            assert!(with.text.ends_with(".\n"), "{:?}", with.text);
            assert!(with.html.contains(&format!("<a href=\"{READ_URL}\">")));
            assert!(
                with.html
                    .contains("Họp lúc 14h &amp; mang &lt;tài liệu&gt;.")
            );
            assert!(
                with.html
                    .contains(&format!("<html lang=\"{}\">", language.as_str()))
            );
            assert!(!reply.text.contains("tin-noi-bo") && !reply.html.contains("tin-noi-bo"));
        }
    }

    #[test]
    fn an_internal_message_on_telegram_shows_the_sender_and_the_body_but_never_the_link() {
        let renderer = Renderer::builtin();
        let message = renderer
            .telegram(
                "staff_message",
                Language::Vi,
                &staff_message_data(false, Some(READ_URL)),
            )
            .unwrap();
        let text = message.parts.join("");
        assert!(text.contains("Từ: <b>Trần &lt;Văn&gt; Minh</b>"), "{text}");
        assert!(
            text.contains("Họp lúc 14h &amp; mang &lt;tài liệu&gt;."),
            "{text}"
        );
        assert!(!text.contains("tin-noi-bo"), "{text}");
    }

    /// Every built-in template with data that exercises it, as `(name, data)`.
    fn every_template() -> Vec<(&'static str, Value)> {
        let staff = json!({ "name": "Nguyễn Thị Lan" });
        let on_case = |name| {
            (
                name,
                json!({ "council": council(), "staff": staff, "case": staff_case() }),
            )
        };
        vec![
            ("case_received", received_data()),
            ("case_status", status_data(false)),
            on_case("staff_new_case"),
            on_case("staff_assigned"),
            on_case("staff_info_added"),
            ("staff_reopened", reopened_data()),
            (
                "staff_room_update",
                json!({ "council": council(), "staff": { "name": null },
                    "case": { "code": "HB.20261126.0012", "status": "Cần bổ sung", "note": "Số nhà <nào>?" } }),
            ),
            (
                "case_follow_update",
                follow_data("status", Some(UNSUBSCRIBE)),
            ),
            ("case_follow_update", follow_data("answer", None)),
            ("reminder_event", event_data(Some(UNSUBSCRIBE))),
            ("reminder_task", task_data(true, Some("HB.20261126.0012"))),
            (
                "deadline_warning",
                warning_data("soon", true, Some("Trần Văn Minh")),
            ),
            ("morning_digest", digest_data(true)),
            ("staff_message", staff_message_data(false, Some(READ_URL))),
            ("staff_message", staff_message_data(true, None)),
            ("bot_start", json!({ "council": council() })),
            (
                "bot_help",
                json!({ "commands": [{ "name": "start", "description": "Giới thiệu <bot>" }] }),
            ),
            ("bot_language", json!({})),
            ("bot_fallback", json!({ "unknown_command": false })),
            (
                "bot_step",
                json!({ "step": "kind", "refusal": null, "optional": false, "denunciation": false,
                    "identity": false, "case_code": null, "kinds": [{ "label": "Kiến nghị", "explain": "<đề nghị>" }],
                    "draft": {} }),
            ),
            ("bot_cancelled", json!({})),
            ("bot_answered", json!({ "code": "HB.20261126.0012" })),
            (
                "bot_added",
                json!({ "code": "HB.20261126.0012", "files": 2 }),
            ),
            ("bot_withdrawn", json!({ "code": "HB.20261126.0012" })),
            ("mail_reply", mail_reply_data("status")),
            ("mail_reply", mail_reply_data("closed")),
            ("bot_slow_down", json!({})),
            (
                "bot_staff",
                json!({ "outcome": "already", "code": "HB.20261126.0012", "status": "Đã thụ lý", "by": "Trần <Thị> Lan" }),
            ),
            (
                "bot_linked",
                json!({ "linked": true, "name": "Trần <Thị> Lan", "login": "lan.tk", "replaced": false }),
            ),
            (
                "bot_rated",
                json!({ "code": "HB.20261126.0012", "reopening": "window_closed",
                    "last_day": "26/12/2026", "nothing": false }),
            ),
            (
                "bot_follow",
                json!({ "followed": true, "already": false, "code": "HB.20261126.0012",
                    "unfollowed": false, "refused": false, "bad_code": false, "count": 0 }),
            ),
            ("bot_messages", bot_messages_data("sent")),
            ("bot_messages", bot_messages_data("list")),
            (
                "bot_mycases",
                json!({ "cases": [{ "code": "HB.20261126.0012", "kind": "Kiến nghị",
                    "status": "Đã tiếp nhận", "expected_by": "10/12/2026" }] }),
            ),
            (
                "bot_status",
                json!({ "found": true, "bad_code": false, "case": { "code": "HB.20261126.0012",
                    "kind": null, "title": "Đèn <ngõ> 12", "content": null, "status": "Đã giải quyết",
                    "received_on": "26/11/2026", "expected_by": null, "source": null,
                    "answer": "Đã sửa." } }),
            ),
            (
                "bot_inbox",
                json!({ "total": 2, "more": 0, "cases": [
                    { "code": "HB.20261120.0003", "kind": "Tố cáo", "status": "Đã tiếp nhận",
                      "due_on": "24/11/2026", "days": 2, "overdue": true, "today": false,
                      "unknown": false },
                    { "code": "HB.20261126.0012", "kind": "Kiến nghị", "status": "Đã thụ lý",
                      "due_on": null, "days": null, "overdue": false, "today": false,
                      "unknown": true },
                ] }),
            ),
            (
                "bot_case",
                json!({ "found": true, "bad_code": false, "case": {
                    "code": "HB.20261126.0012", "kind": "Kiến nghị", "status": "Đã tiếp nhận",
                    "title": "Đèn <ngõ> 12", "area": "Phường Hoàng Văn Thụ", "category": null,
                    "received_on": "26/11/2026", "clock": "Hạn xử lý của Hội đồng",
                    "due_on": "10/12/2026", "days": 14, "overdue": false, "today": false,
                    "unknown": false, "assignee": null, "content": "Đèn hỏng & tối <om>.",
                    "events": [{ "at": "26/11/2026 09:30", "label": "Tiếp nhận",
                        "status": "Đã tiếp nhận", "by": "công dân" }] } }),
            ),
            (
                "bot_tasks",
                json!({ "outcome": "list", "task": null, "until": null, "tasks": [
                    { "number": 1, "title": "Soạn <báo cáo>", "due_on": "26/11/2026",
                      "overdue": false, "case_code": "HB.20261126.0012" },
                ] }),
            ),
            (
                "bot_agenda",
                json!({ "zone": "Europe/Berlin",
                    "today": { "date": "26/11/2026", "events": [{ "time": "14:00", "end": null,
                        "title": "Họp <giao ban>", "kind": "Họp", "place": "Phòng 2" }] },
                    "tomorrow": { "date": "27/11/2026", "events": [] } }),
            ),
        ]
    }

    #[test]
    fn a_follow_update_offers_unfollow_on_telegram_and_the_unsubscribe_link_by_email() {
        // Arrange
        let renderer = Renderer::builtin();
        let with_link = follow_data("status", Some(UNSUBSCRIBE));
        let answer = follow_data("answer", None);

        for language in Language::ALL {
            // Act
            let telegram = renderer
                .telegram("case_follow_update", *language, &with_link)
                .unwrap();
            let email = renderer
                .email("case_follow_update", *language, &with_link)
                .unwrap();
            let without = renderer
                .email("case_follow_update", *language, &answer)
                .unwrap();

            // Assert
            let text = &telegram.parts[0];
            assert!(text.contains("/unfollow HB.20261126.0012"), "{text}");
            assert!(text.contains("Đèn &amp; &lt;cột&gt; ngõ 12"), "{text}");
            assert!(!text.contains(UNSUBSCRIBE), "{text}");
            assert!(email.text.contains(UNSUBSCRIBE), "{}", email.text);
            assert!(
                email.html.contains(&format!("<a href=\"{UNSUBSCRIBE}\">")),
                "{}",
                email.html
            );
            assert!(!without.text.contains("huy-nhan-tin") && !without.html.contains("<a "));
            assert_ne!(
                email.subject, without.subject,
                "an answer reads differently"
            );
            assert!(without.text.contains("Điện lực đã thay bóng đèn."));
        }
    }

    #[test]
    fn every_builtin_telegram_message_renders_in_both_languages_as_telegram_html() {
        // Arrange
        let renderer = Renderer::builtin();

        for (name, data) in every_template() {
            // Act
            let vi = renderer.telegram(name, Language::Vi, &data).unwrap();
            let en = renderer.telegram(name, Language::En, &data).unwrap();

            // Assert: one part each, in its own language, tags as tags, data escaped.
            for (language, message) in [("vi", &vi), ("en", &en)] {
                assert_eq!(message.parts.len(), 1, "{name}.{language}");
                let text = &message.parts[0];
                assert!(
                    !text.contains("<html") && !text.contains("<p>"),
                    "{name}: {text}"
                );
                assert!(!text.contains("Kính gửi"), "{name}: an email body");
                assert!(
                    !text.contains("\n\n\n") && !text.ends_with('\n'),
                    "{name}: {text:?}"
                );
                assert!(!text.contains("&quot;"), "{name}");
                // A reminder's own link, as a Telegram link; never the email's line.
                assert!(
                    !text.contains("truy cập: ") && !text.contains("visit: "),
                    "{name}: an email's unsubscribe line"
                );
                if text.contains(UNSUBSCRIBE) {
                    assert!(
                        text.contains(&format!("<a href=\"{UNSUBSCRIBE}\">")),
                        "{name}: {text}"
                    );
                }
                assert!(message.keyboard.is_empty());
            }
            assert_ne!(vi.parts, en.parts, "{name}: English is not Vietnamese");
        }
        let status = renderer
            .telegram("case_status", Language::Vi, &status_data(false))
            .unwrap();
        assert!(
            status.parts[0].contains("Trích yếu: Đèn &amp; &lt;cột&gt; ngõ 12 bị hỏng"),
            "{}",
            status.parts[0]
        );
        assert!(status.parts[0].contains("<code>HB.20261126.0012</code>"));
        assert!(status.parts[0].contains("Tình trạng mới: <b>Đã thụ lý</b>"));
    }

    #[test]
    fn telegram_falls_back_to_vietnamese_when_the_english_file_is_missing() {
        // Arrange: the English Telegram case_status is missing.
        let renderer = Renderer::from_sources(
            BUILTIN_TELEGRAM
                .iter()
                .filter(|(name, locale, _)| !(*name == "case_status" && *locale == "en"))
                .map(|&(name, locale, text)| (name, TELEGRAM_PART, locale, text, None)),
        )
        .unwrap();

        // Act
        let en = renderer
            .telegram("case_status", Language::En, &status_data(false))
            .unwrap();
        let unknown = renderer.telegram("no_such", Language::Vi, &status_data(false));

        // Assert
        assert!(
            en.parts[0].contains("đã được cập nhật tình trạng"),
            "{:?}",
            en.parts
        );
        assert!(matches!(unknown, Err(RenderError::Unknown { .. })));
    }

    #[test]
    fn a_long_telegram_message_is_split_into_parts_that_fit() {
        // Arrange: an answer note of about 9,000 UTF-16 units, with emoji.
        let renderer = Renderer::builtin();
        let mut data = status_data(false);
        data["case"]["note"] =
            json!("Ủy ban nhân dân phường đã chỉ đạo sửa chữa 🔧 đèn.\n".repeat(180));

        // Act
        let message = renderer
            .telegram("case_status", Language::Vi, &data)
            .unwrap();

        // Assert
        assert!(message.parts.len() >= 3, "{}", message.parts.len());
        for part in &message.parts {
            assert!(crate::notification::telegram::utf16_len(part) <= MESSAGE_LIMIT);
        }
        assert!(message.parts[0].starts_with("Hồ sơ <code>HB.20261126.0012</code>"));
        assert!(
            message
                .parts
                .last()
                .unwrap()
                .ends_with("HĐND phường Hồng Bàng")
        );
    }
}
