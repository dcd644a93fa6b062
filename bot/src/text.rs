//! Telegram's limits on what one message may carry, and its HTML escaping.
//!
//! Telegram counts a message's length in UTF-16 code units (4096 at most), so Vietnamese text,
//! every letter of which is one unit in NFC but two or more in NFD, is measured that way here.

/// The most UTF-16 code units one message may hold.
pub const MESSAGE_LIMIT: usize = 4096;
/// The most bytes of callback data one inline button may carry.
pub const CALLBACK_DATA_LIMIT: usize = 64;

/// Escapes text for Telegram's HTML parse mode (`&`, `<`, `>` and `"`).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Splits `text` into messages of at most `limit` UTF-16 code units, preferring to cut after a
/// blank line, then after a line, then after a space (in the second half of a part, so that
/// no part is needlessly short), and never inside a character.
pub fn split_message(text: &str, limit: usize) -> Vec<String> {
    assert!(limit >= 2, "a limit below 2 cannot hold every character");
    let mut parts = Vec::new();
    let mut rest = text;
    while utf16_len(rest) > limit {
        let hard = byte_index_at_units(rest, limit);
        let head = &rest[..hard];
        let cut = ["\n\n", "\n", " "]
            .iter()
            .find_map(|sep| {
                head.rfind(sep)
                    .map(|i| i + sep.len())
                    .filter(|i| *i > hard / 2)
            })
            .unwrap_or(hard);
        parts.push(rest[..cut].trim_end().to_owned());
        rest = rest[cut..].trim_start_matches('\n');
    }
    if !rest.trim().is_empty() || parts.is_empty() {
        parts.push(rest.to_owned());
    }
    parts
}

/// Callback data for an inline button, checked against Telegram's 64-byte limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackData(String);

impl CallbackData {
    pub fn new(data: impl Into<String>) -> Result<Self, String> {
        let data = data.into();
        if data.is_empty() || data.len() > CALLBACK_DATA_LIMIT {
            return Err(format!(
                "callback data must be 1 to {CALLBACK_DATA_LIMIT} bytes, not {}",
                data.len()
            ));
        }
        Ok(Self(data))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The length of `text` as Telegram counts it.
pub fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The byte index of the last character boundary within the first `units` UTF-16 units.
fn byte_index_at_units(text: &str, units: usize) -> usize {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += c.len_utf16();
        if used > units {
            return i;
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_for_telegram() {
        assert_eq!(
            escape_html("<b>Đèn & cột</b> \"hỏng\""),
            "&lt;b&gt;Đèn &amp; cột&lt;/b&gt; &quot;hỏng&quot;"
        );
    }

    #[test]
    fn a_short_message_is_one_part() {
        assert_eq!(split_message("Xin chào", MESSAGE_LIMIT), vec!["Xin chào"]);
        assert_eq!(split_message("", MESSAGE_LIMIT), vec![""]);
    }

    #[test]
    fn long_text_splits_at_paragraphs_then_lines_then_spaces() {
        let para = "Kiến nghị về đèn đường. ".repeat(10);
        let text = format!("{para}\n\n{para}");
        let parts = split_message(&text, utf16_len(&para) + 5);
        assert_eq!(parts, vec![para.trim_end().to_owned(), para.clone()]);
        // A blank line near the start is no reason for a tiny first part.
        let text = format!("Tiêu đề\n\n{}", "chữ ".repeat(30));
        let parts = split_message(&text, 60);
        assert!(parts[0].starts_with("Tiêu đề\n\nchữ"), "{parts:?}");
        let parts = split_message("một hai ba bốn", 8);
        assert_eq!(parts, vec!["một hai", "ba bốn"]);
    }

    #[test]
    fn every_part_fits_and_nothing_is_lost_or_cut_inside_a_character() {
        // Emoji are two UTF-16 units; decomposed Vietnamese letters are several chars.
        let text = "😀ế".repeat(3000) + &"a".repeat(5000);
        let parts = split_message(&text, MESSAGE_LIMIT);
        assert!(parts.len() >= 4);
        for part in &parts {
            assert!(utf16_len(part) <= MESSAGE_LIMIT);
        }
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn callback_data_is_limited_to_64_bytes() {
        assert!(CallbackData::new("case:HB.20261126.0012:accept").is_ok());
        // 22 Vietnamese letters of 3 bytes each: 66 bytes.
        assert!(CallbackData::new("ệ".repeat(22)).is_err());
        assert!(CallbackData::new("").is_err());
    }
}
