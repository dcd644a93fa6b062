//! A delivery status notification (RFC 3464): the `Status:` of its per-recipient fields and
//! the server's diagnostic, which say whether a mail we sent will never arrive (5.x.x) or is
//! only delayed (4.x.x).

use mail_parser::{Message, MimeHeaders, PartType};

/// What a `multipart/report` says of the first recipient it reports on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// `5.1.1`, as written.
    pub status: String,
    /// `Diagnostic-Code`, without its type (`smtp;`); it may name the address, so it is kept
    /// out of `Debug`s and logs by its users.
    pub diagnostic: Option<String>,
}

/// The report `message` carries in its `message/delivery-status` part, if any.
pub fn delivery_report(message: &Message<'_>) -> Option<DeliveryReport> {
    let part = message.parts.iter().find(|part| {
        part.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("message")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("delivery-status"))
        })
    })?;
    let fields = match &part.body {
        PartType::Text(text) => text.to_string(),
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
            String::from_utf8_lossy(bytes).into_owned()
        }
        // Some parsers' idea of a `message/*` part: its raw bytes are the fields.
        PartType::Message(_) | PartType::Html(_) | PartType::Multipart(_) => {
            let raw = message.raw_message();
            let (start, end) = (part.offset_body as usize, part.offset_end as usize);
            String::from_utf8_lossy(raw.get(start..end)?).into_owned()
        }
    };
    let field = |name: &str| {
        unfolded(&fields).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let status = field("Status")?;
    // `5.1.1 (bad destination mailbox)`: the number alone.
    let status = status.split_whitespace().next()?.to_owned();
    let diagnostic = field("Diagnostic-Code").map(|d| match d.split_once(';') {
        Some((_, words)) => words.trim().to_owned(),
        None => d,
    });
    Some(DeliveryReport { status, diagnostic })
}

/// The lines of header-like fields with their folded continuations joined.
fn unfolded(fields: &str) -> impl Iterator<Item = String> + '_ {
    let mut lines: Vec<String> = Vec::new();
    for line in fields.lines() {
        match (line.starts_with([' ', '\t']), lines.last_mut()) {
            (true, Some(last)) => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => lines.push(line.to_owned()),
        }
    }
    lines.into_iter()
}
