//! The command menus Telegram shows under the message box (`setMyCommands`): which commands,
//! for which chats (a Bot API `BotCommandScope`), in each language, all from the one command
//! table ([`Command`]).
//!
//! Telegram keeps a list per (scope, language code); the list without a language code is for
//! everyone whose language has none of its own. So Vietnamese goes without a code and English
//! under `en`. Citizens' private chats are one scope; each linked staff chat gets its own
//! (`MenuScope::Chat`), which Telegram prefers over the broader scope: the staff commands too,
//! in the member's language, as the chat's one list (so it holds whatever the client's
//! language). A staff menu is set for every linked chat at start and right after a chat is
//! linked ([`after_link`]).

use hdnd_hub::Hub;
use hdnd_hub::access::Caller;
use hdnd_hub::domain::{ContactKind, Language, Staff};
use hdnd_hub::storage::InboundEffect;
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
    /// The one language of the menu, sent as the scope's list for every client language (a
    /// staff chat's, in its member's language); `None`: Vietnamese as that list and English
    /// under `en`.
    pub language: Option<Language>,
}

impl Menu {
    /// What every citizen sees in a private chat: the whole citizen command table.
    pub fn citizens() -> Self {
        Self {
            scope: MenuScope::AllPrivateChats,
            commands: Command::visible(false).collect(),
            language: None,
        }
    }

    /// What a linked staff member sees in their own chat: every command, staff's too, in
    /// their language.
    pub fn staff(chat: i64, language: Language) -> Self {
        Self {
            scope: MenuScope::Chat(chat),
            commands: Command::visible(true).collect(),
            language: Some(language),
        }
    }

    /// The menus of the private chats linked to `staff`'s active accounts (a group's id, which
    /// is negative, gets none: the whole group would see them).
    pub fn for_staff(staff: &[Staff]) -> Vec<Self> {
        staff
            .iter()
            .filter(|member| member.active)
            .flat_map(|member| {
                member
                    .contacts
                    .iter()
                    .filter(|c| c.kind == ContactKind::Telegram)
                    .filter_map(|c| c.address.parse::<i64>().ok())
                    .filter(|chat| *chat > 0)
                    .map(|chat| Menu::staff(chat, member.language))
            })
            .collect()
    }

    /// The `setMyCommands` bodies, one per language, Vietnamese (the default list) first.
    pub fn requests(&self) -> Vec<Value> {
        let languages = match self.language {
            Some(language) => vec![(language, None)],
            None => Language::ALL
                .iter()
                .map(|&l| (l, (l != Language::Vi).then_some(l)))
                .collect(),
        };
        languages
            .into_iter()
            .map(|(language, code)| {
                let commands: Vec<Value> = self
                    .commands
                    .iter()
                    .map(|c| json!({ "command": c.name(), "description": c.description(language) }))
                    .collect();
                let mut body = json!({ "commands": commands, "scope": self.scope.json() });
                if let Some(code) = code {
                    body["language_code"] = code.as_str().into();
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

/// Sets the citizens' menu and every linked staff chat's, reading the staff accounts now (as
/// the process's operator): called when an instance takes the Telegram lease, so chats linked
/// through another instance are there too. A failure to read the staff leaves the citizens'
/// menu only, with a warning; returns how many calls failed.
pub async fn set_all(api: &BotApi, hub: &Hub) -> usize {
    let mut menus = vec![Menu::citizens()];
    match hub.list_staff(Caller::Operator).await {
        Ok(staff) => menus.extend(Menu::for_staff(&staff)),
        Err(e) => tracing::warn!(
            error.message = %e,
            "cannot read the staff accounts for their menus: {e}; only the citizens' menu is set"
        ),
    }
    set_menus(api, &menus).await
}

/// After an update's effect is committed: a chat just linked to a staff account gets the staff
/// menu in the member's language, without waiting (best effort, logged without the chat).
pub fn after_link(api: &BotApi, effect: &InboundEffect) {
    let InboundEffect::StaffLink(change) = effect else {
        return;
    };
    let Ok(chat) = change.chat.value().parse::<i64>() else {
        return;
    };
    let menu = Menu::staff(chat, change.staff.language);
    let api = api.clone();
    tokio::spawn(async move {
        set_menus(&api, &[menu]).await;
    });
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
            language: None,
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

    #[test]
    fn a_staff_chat_gets_every_command_in_its_members_language_as_its_one_list() {
        let requests = Menu::staff(4242, Language::En).requests();
        assert_eq!(requests.len(), 1);
        let body = &requests[0];
        assert_eq!(body["scope"], json!({ "type": "chat", "chat_id": 4242 }));
        assert_eq!(body.get("language_code"), None);
        let names: Vec<_> = body["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["command"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"inbox") && names.contains(&"agenda"),
            "{names:?}"
        );
        assert_eq!(names.len(), Command::ALL.len());
        assert_eq!(
            body["commands"][0]["description"],
            json!("What this bot is for")
        );
    }
}
