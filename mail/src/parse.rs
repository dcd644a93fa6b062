//! One inbound message, as the gateway reads it: the threading headers, the sender, the
//! recipients, a one-line subject, the plain text (an HTML-only mail turned into text without
//! script, style or remote content; NFC, so Apple Mail's decomposed letters match), the reply
//! without its quoted history and signature, the attachments, and why no acknowledgement may
//! go back (an auto-reply, a list, a bounce, a loop).
//!
//! mail-parser decodes the charsets (utf-8, windows-1258 and the other legacy ones),
//! quoted-printable, base64, RFC 2047 words and RFC 2231 parameters. A message it cannot read
//! at all is an [`Unreadable`] error for the caller to mark the stored row failed with; nothing
//! here panics on input.

use std::fmt;

use mail_parser::{HeaderValue, Message, MessageParser, MimeHeaders};
use unicode_normalization::UnicodeNormalization;

use crate::quote::strip_quoted;
use crate::report::{DeliveryReport, delivery_report};

/// A message mail-parser could not read as a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a readable mail message: {0}")]
pub struct Unreadable(pub &'static str);

/// Why a message gets no automatic answer (RFC 3834, RFC 2369, RFC 3464), in the order tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Automatic {
    /// `Auto-Submitted` other than `no`.
    AutoSubmitted,
    /// `Precedence: bulk`, `junk` or `list`.
    Precedence,
    /// A mailing list's message (`List-Id`).
    List,
    /// Our own loop header: one of our messages came back.
    Loop,
    /// A delivery report (`multipart/report`).
    Report,
    /// A null `Return-Path` (`<>`), as bounces have.
    NullReturnPath,
    /// From `MAILER-DAEMON` or `postmaster`.
    MailerDaemon,
}

/// A file attached to the message.
#[derive(Clone, PartialEq, Eq)]
pub struct MailAttachment {
    /// The file name as the sender's client gave it, decoded; `tep-dinh-kem` when none.
    pub name: String,
    /// `type/subtype` as declared; the file store sniffs the real type.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl fmt::Debug for MailAttachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailAttachment")
            .field("content_type", &self.content_type)
            .field("size", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

use hdnd_hub::delivery::email::LOOP_HEADER;

/// What the gateway reads of one message.
#[derive(Clone, PartialEq, Eq)]
pub struct ParsedMail {
    /// Without angle brackets; `None` when the message has none.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The sender's address, lower-cased.
    pub from: Option<String>,
    pub from_name: Option<String>,
    /// Every address in To and Cc, and the envelope recipient the receiving server noted
    /// (`Delivered-To`, `X-Original-To`), lower-cased.
    pub to: Vec<String>,
    /// One line: folded, control characters gone, so nothing can be injected into a header.
    pub subject: String,
    /// The whole text.
    pub text: String,
    /// The new part of a reply: `text` less the quoted history and the signature.
    pub reply: String,
    pub attachments: Vec<MailAttachment>,
    pub automatic: Option<Automatic>,
    /// A delivery report's verdict, when the message is one.
    pub report: Option<DeliveryReport>,
}

// Addresses, names, subjects and bodies are personal data.
impl fmt::Debug for ParsedMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedMail")
            .field("attachments", &self.attachments.len())
            .field("automatic", &self.automatic)
            .finish_non_exhaustive()
    }
}

/// Reads `raw`, a message as stored.
pub fn parse(raw: &[u8]) -> Result<ParsedMail, Unreadable> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(Unreadable("no header could be read"))?;
    if message.headers().is_empty() {
        return Err(Unreadable("no header could be read"));
    }
    let from = message.from().and_then(|a| a.first());
    let from_address = from.and_then(|a| a.address()).map(str::to_lowercase);
    let mut to: Vec<String> = [message.to(), message.cc()]
        .into_iter()
        .flatten()
        .flat_map(|list| list.iter())
        .filter_map(|a| a.address())
        .map(str::to_lowercase)
        .collect();
    // A bounce reaches a plus-address that its To may not show (Postfix and Dovecot note it).
    for name in ["Delivered-To", "X-Original-To"] {
        let noted = message
            .header_values(name)
            .filter_map(|v| v.as_text())
            .map(|v| bare_id(v).to_lowercase());
        for address in noted {
            if !to.contains(&address) {
                to.push(address);
            }
        }
    }
    let text = nfc(&body_text(&message));
    let reply = strip_quoted(&text);
    Ok(ParsedMail {
        message_id: message.message_id().map(bare_id),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        from_name: from
            .and_then(|a| a.name())
            .map(|n| one_line(&nfc(n)))
            .filter(|n| !n.is_empty()),
        automatic: automatic(&message, from_address.as_deref()),
        from: from_address,
        to,
        subject: one_line(&nfc(message.subject().unwrap_or_default())),
        text,
        reply,
        attachments: attachments(&message),
        report: delivery_report(&message),
    })
}

/// The text parts in order, or the HTML ones turned into text (mail-parser drops script,
/// style and head, and never fetches anything).
fn body_text(message: &Message<'_>) -> String {
    let texts: Vec<String> = (0..message.text_body.len())
        .filter_map(|i| {
            let text = message.body_text(i)?.replace("\r\n", "\n");
            let part = message
                .text_body
                .get(i)
                .and_then(|at| message.parts.get(*at as usize));
            let flowed = part
                .and_then(|p| p.content_type())
                .and_then(|ct| ct.attribute("format"))
                .is_some_and(|f| f.eq_ignore_ascii_case("flowed"));
            Some(if flowed { unflow(&text) } else { text })
        })
        .collect();
    texts.join("\n").trim().to_owned()
}

/// RFC 3676: a line ending in a space continues on the next (Thunderbird's format=flowed);
/// the signature separator `-- ` and quoted lines keep their breaks.
fn unflow(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        out.push_str(line);
        let soft = line.ends_with(' ') && line != "-- " && !line.starts_with('>');
        if !soft {
            out.push('\n');
        }
    }
    out
}

fn attachments(message: &Message<'_>) -> Vec<MailAttachment> {
    message
        .attachments()
        .map(|part| {
            let content_type = part.content_type().map_or_else(
                || "application/octet-stream".to_owned(),
                |ct| match ct.subtype() {
                    Some(sub) => format!("{}/{sub}", ct.ctype()).to_lowercase(),
                    None => ct.ctype().to_lowercase(),
                },
            );
            MailAttachment {
                name: part
                    .attachment_name()
                    .map(|n| one_line(&nfc(n)))
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| "tep-dinh-kem".to_owned()),
                content_type,
                bytes: part.contents().to_vec(),
            }
        })
        .collect()
}

fn automatic(message: &Message<'_>, from: Option<&str>) -> Option<Automatic> {
    let header = |name: &str| {
        message
            .header_raw(name)
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if header("Auto-Submitted").is_some_and(|v| !v.starts_with("no")) {
        return Some(Automatic::AutoSubmitted);
    }
    if header("Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "list")) {
        return Some(Automatic::Precedence);
    }
    if header("List-Id").is_some() {
        return Some(Automatic::List);
    }
    if header(LOOP_HEADER).is_some() {
        return Some(Automatic::Loop);
    }
    let report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    if report {
        return Some(Automatic::Report);
    }
    if header("Return-Path").is_some_and(|v| {
        v.trim_matches(|c| c == '<' || c == '>' || c == ' ')
            .is_empty()
    }) {
        return Some(Automatic::NullReturnPath);
    }
    let local = from.and_then(|f| f.split('@').next()).unwrap_or_default();
    if local == "mailer-daemon" || local == "postmaster" {
        return Some(Automatic::MailerDaemon);
    }
    None
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![bare_id(id)],
        HeaderValue::TextList(list) => list.iter().map(|id| bare_id(id)).collect(),
        _ => Vec::new(),
    }
}

fn bare_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

fn nfc(text: &str) -> String {
    text.nfc().collect()
}

/// `text` on one line: every run of whitespace or control characters one space.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
