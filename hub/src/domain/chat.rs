//! A messenger chat as the bot knows it: the language its reader chose and the dialogue in
//! progress. Kept in the database, so that a restart or another instance goes on with the same
//! conversation.

use std::fmt;

use super::staff::Language;

/// What is stored of one chat.
#[derive(Clone, PartialEq, Eq)]
pub struct ChatState {
    /// The chat's id at its messenger (a Telegram chat id): personal data.
    pub chat: String,
    pub language: Language,
    /// The dialogue in progress, as its transport serialised it; `None` outside a dialogue.
    pub dialogue: Option<String>,
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
}

impl fmt::Debug for ChatChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatChange")
            .field("language", &self.language)
            .field("dialogue_changed", &self.dialogue.is_some())
            .finish_non_exhaustive()
    }
}
