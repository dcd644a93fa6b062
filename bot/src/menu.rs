//! The command menus Telegram shows under the message box (`setMyCommands`): which commands,
//! for which chats (a Bot API `BotCommandScope`), in each language, all from the one command
//! table ([`Command`]).
//!
//! Telegram keeps a list per (scope, language code); the list without a language code is for
//! everyone whose language has none of its own. So Vietnamese goes without a code and English
//! under `en`. Citizens' private chats are one scope; linked staff chats will each get theirs
//! (`MenuScope::Chat`), which Telegram prefers over the broader scope.

use hdnd_hub::domain::Language;
use serde_json::{Value, json};

use crate::api::BotApi;
use crate::commands::Command;

/// The chats a menu is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuScope {
    /// Every private chat with the bot.
    AllPrivateChats,
    /// One chat (a linked staff member's).
    Chat(i64),
}

impl MenuScope {
    /// The Bot API's `BotCommandScope` object.
    pub fn json(self) -> Value {
        match self {
            MenuScope::AllPrivateChats => json!({ "type": "all_private_chats" }),
            MenuScope::Chat(chat_id) => json!({ "type": "chat", "chat_id": chat_id }),
        }
    }
}

/// The commands shown in one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    pub scope: MenuScope,
    pub commands: Vec<Command>,
}

impl Menu {
    /// What every citizen sees in a private chat: the whole citizen command table.
    pub fn citizens() -> Self {
        Self {
            scope: MenuScope::AllPrivateChats,
            commands: Command::visible(false).collect(),
        }
    }

    /// The `setMyCommands` bodies, one per language, Vietnamese (the default list) first.
    pub fn requests(&self) -> Vec<Value> {
        Language::ALL
            .iter()
            .map(|&language| {
                let commands: Vec<Value> = self
                    .commands
                    .iter()
                    .map(|c| json!({ "command": c.name(), "description": c.description(language) }))
                    .collect();
                let mut body = json!({ "commands": commands, "scope": self.scope.json() });
                if language != Language::Vi {
                    body["language_code"] = language.as_str().into();
                }
                body
            })
            .collect()
    }
}

/// Sets every menu in every language. A failure is logged and left for the next start: the
/// bot works without menus (commands typed still work), so nothing waits for them.
/// Returns how many calls failed.
pub async fn set_menus(api: &BotApi, menus: &[Menu]) -> usize {
    let mut failed = 0;
    for menu in menus {
        for body in menu.requests() {
            let language = body["language_code"].as_str().unwrap_or("default");
            let scope = body["scope"]["type"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            match api.call("setMyCommands", &body).await {
                Ok(()) => tracing::debug!(
                    telegram.scope = %scope,
                    telegram.language = language,
                    "the bot's commands are set for {scope} ({language})"
                ),
                Err(e) => {
                    failed += 1;
                    tracing::warn!(
                        error.message = %e,
                        telegram.scope = %scope,
                        telegram.language = language,
                        "cannot set the bot's commands for {scope} ({language}): {e}; trying again at the next start"
                    );
                }
            }
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_citizen_menu_is_vietnamese_by_default_and_english_under_en() {
        let requests = Menu::citizens().requests();
        assert_eq!(requests.len(), 2);
        let (vi, en) = (&requests[0], &requests[1]);
        assert_eq!(vi["scope"], json!({ "type": "all_private_chats" }));
        assert_eq!(vi.get("language_code"), None);
        assert_eq!(en["language_code"], json!("en"));
        assert_eq!(
            vi["commands"][0],
            json!({ "command": "start", "description": "Giới thiệu kênh tiếp nhận" })
        );
        assert_eq!(
            en["commands"][0],
            json!({ "command": "start", "description": "What this bot is for" })
        );
        assert_eq!(
            vi["commands"].as_array().unwrap().len(),
            Command::visible(false).count()
        );
        // Telegram's limits: names of 1–32 lowercase letters, digits and _; descriptions of
        // 1–256 characters.
        for body in &requests {
            for command in body["commands"].as_array().unwrap() {
                let name = command["command"].as_str().unwrap();
                assert!((1..=32).contains(&name.len()));
                assert!(
                    name.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                );
                let description = command["description"].as_str().unwrap();
                assert!((1..=256).contains(&description.chars().count()));
            }
        }
    }

    #[test]
    fn a_chat_scope_names_its_chat() {
        let staff = Menu {
            scope: MenuScope::Chat(4242),
            commands: vec![Command::Help],
        };
        assert_eq!(
            staff.requests()[1],
            json!({
                "commands": [{ "command": "help", "description": "The list of commands" }],
                "scope": { "type": "chat", "chat_id": 4242 },
                "language_code": "en",
            })
        );
    }
}
