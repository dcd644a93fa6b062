//! Telegram's limits on what one message may carry, and its HTML escaping. The hub renders and
//! splits messages at enqueue (`hdnd_hub::delivery::telegram`); the bot checks what it builds
//! itself, such as callback data.

pub use hdnd_hub::delivery::telegram::{
    CALLBACK_DATA_LIMIT, MESSAGE_LIMIT, escape_html, split_html, utf16_len,
};

/// The first `chars` characters of `text`, cut back to the last whole word, with "…" when
/// anything was cut.
pub fn cut_at_word(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let cut: String = text.chars().take(chars).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{cut}…")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_is_limited_to_64_bytes() {
        assert!(CallbackData::new("case:HB.20261126.0012:accept").is_ok());
        // 22 Vietnamese letters of 3 bytes each: 66 bytes.
        assert!(CallbackData::new("ệ".repeat(22)).is_err());
        assert!(CallbackData::new("").is_err());
    }
}
