//! A messenger chat as the bot knows it: the language its reader chose and the dialogue in
//! progress. Kept in the database, so that a restart or another instance goes on with the same
//! conversation.

use std::fmt;

use chrono::{DateTime, Utc};

use super::staff::Language;

/// What is stored of one chat.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatState {
    /// The chat's id at its messenger (a Telegram chat id): personal data.
    pub chat: String,
    pub language: Language,
    /// The dialogue in progress, as its transport serialised it; `None` outside a dialogue.
    pub dialogue: Option<String>,
    /// How many messages came in the window that started then (flood protection).
    pub window: Option<Window>,
}

/// A one-minute window of a chat's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub count: u32,
}

impl Window {
    /// The window after one more message at `now`: the same one while it lasts a minute.
    pub fn after_message(window: Option<Window>, now: DateTime<Utc>) -> Window {
        match window {
            Some(w) if now >= w.start && now - w.start < chrono::Duration::minutes(1) => Window {
                start: w.start,
                count: w.count.saturating_add(1),
            },
            _ => Window {
                start: now,
                count: 1,
            },
        }
    }
}

// Written by hand: the chat id is personal data and the dialogue holds what a person typed.
impl fmt::Debug for ChatState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatState")
            .field("language", &self.language)
            .field("in_dialogue", &self.dialogue.is_some())
            .finish_non_exhaustive()
    }
}

/// A change to a chat, applied with the inbound message that caused it.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatChange {
    pub chat: String,
    /// A new language; it becomes the linked citizen's too.
    pub language: Option<Language>,
    /// `Some(None)` ends the dialogue; `None` leaves it as it is.
    pub dialogue: Option<Option<String>>,
    /// The flood-protection window after this message; `None` leaves it as it is.
    pub window: Option<Window>,
}

impl fmt::Debug for ChatChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatChange")
            .field("language", &self.language)
            .field("dialogue_changed", &self.dialogue.is_some())
            .finish_non_exhaustive()
    }
}
