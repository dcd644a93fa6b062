//! The bot's commands. `/help` and the menus Telegram shows (`setMyCommands`) are generated
//! from this one table: each command's two doc lines are its description, Vietnamese first and
//! English second.

use hdnd_hub::domain::Language;

macro_rules! commands {
    ($(#[doc = $vi:literal] #[doc = $en:literal] $variant:ident => $name:literal for $who:ident,)+) => {
        /// A command of the bot: everybody's, or a linked staff member's only.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Command {
            $(#[doc = $vi] $variant,)+
        }

        impl Command {
            /// Every command, in the order `/help` lists them.
            pub const ALL: &'static [Command] = &[$(Command::$variant,)+];

            /// The command as typed, without the slash.
            pub const fn name(self) -> &'static str {
                match self { $(Command::$variant => $name,)+ }
            }

            /// Who may send it: an unlinked chat never sees a staff command, in `/help`, in the
            /// menu, or as an answer (it reads as an unknown command there).
            pub const fn audience(self) -> Audience {
                match self { $(Command::$variant => Audience::$who,)+ }
            }

            /// What it does, in the reader's language.
            pub fn description(self, language: Language) -> &'static str {
                let (vi, en) = match self { $(Command::$variant => ($vi, $en),)+ };
                match language {
                    Language::Vi => vi.trim(),
                    Language::En => en.trim(),
                }
            }
        }
    };
}

/// Who a command is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every private chat: citizens, and staff too.
    Everyone,
    /// Chats linked to a staff account (`hdnd staff link`).
    Staff,
}

impl Command {
    /// The commands a chat sees: everyone's, and the staff commands too for a linked chat.
    pub fn visible(staff: bool) -> impl Iterator<Item = Command> {
        Command::ALL
            .iter()
            .copied()
            .filter(move |c| staff || c.audience() == Audience::Everyone)
    }
}

commands! {
    /// Giới thiệu kênh tiếp nhận
    /// What this bot is for
    Start => "start" for Everyone,
    /// Gửi ý kiến, kiến nghị, phản ánh, khiếu nại, tố cáo
    /// Send an opinion, a petition, a report, a complaint or a denunciation
    New => "new" for Everyone,
    /// Hủy việc đang làm dở
    /// Cancel what you are doing
    Cancel => "cancel" for Everyone,
    /// Các hồ sơ của ông/bà và tình trạng
    /// Your cases and where they stand
    MyCases => "mycases" for Everyone,
    /// Tra cứu một hồ sơ theo mã, ví dụ /status HB.20261126.0012
    /// Look up a case by its code, e.g. /status HB.20261126.0012
    Status => "status" for Everyone,
    /// Rút hồ sơ (bot hỏi xác nhận), ví dụ /withdraw HB.20261126.0012
    /// Withdraw a case (you are asked to confirm), e.g. /withdraw HB.20261126.0012
    Withdraw => "withdraw" for Everyone,
    /// Đánh giá câu trả lời của một hồ sơ, ví dụ /rate HB.20261126.0012
    /// Rate the answer on a case, e.g. /rate HB.20261126.0012
    Rate => "rate" for Everyone,
    /// Theo dõi một hồ sơ đã công khai, ví dụ /follow HB.20261126.0012
    /// Follow a published case, e.g. /follow HB.20261126.0012
    Follow => "follow" for Everyone,
    /// Thôi theo dõi một hồ sơ, hoặc tất cả nếu không ghi mã
    /// Stop following a case, or every case if no code is given
    Unfollow => "unfollow" for Everyone,
    /// Danh sách các lệnh
    /// The list of commands
    Help => "help" for Everyone,
    /// Chuyển tiếng Việt / tiếng Anh
    /// Switch between Vietnamese and English
    Lang => "lang" for Everyone,
    /// Gửi tin nhắn nội bộ, ví dụ /msg dai_bieu Họp lúc 14h (một đồng chí, unit:mã_đơn_vị, nhóm, all)
    /// Send an internal message, e.g. /msg dai_bieu Meeting at 14:00 (a login, unit:code, a group, all)
    Msg => "msg" for Staff,
    /// Tin nhắn nội bộ của đồng chí và ai đã đọc
    /// Your internal messages and who has read them
    Messages => "messages" for Staff,
    /// Hồ sơ đang chờ đồng chí xử lý, theo hạn (quá hạn trước)
    /// Your open cases by deadline, overdue first
    Inbox => "inbox" for Staff,
    /// Xem một hồ sơ và các thao tác, ví dụ /case HB.20261126.0012
    /// A case and what you may do with it, e.g. /case HB.20261126.0012
    Case => "case" for Staff,
    /// Công việc chưa xong, theo hạn
    /// Your open tasks by due date
    Tasks => "tasks" for Staff,
    /// Lịch công tác hôm nay và ngày mai
    /// Your calendar for today and tomorrow
    Agenda => "agenda" for Staff,
}

/// A message parsed as a command: the command and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<'a> {
    Command(Command, &'a str),
    /// Starts with a slash but names no command of this bot.
    Unknown,
    /// Not a command: text to keep.
    Text,
}

/// Parses `/name`, `/name@bot` and `/name argument`; command names are not case-sensitive, as
/// Telegram clients send them.
pub fn parse(text: &str) -> Parsed<'_> {
    let text = text.trim_start();
    let Some(rest) = text.strip_prefix('/') else {
        return Parsed::Text;
    };
    let (word, argument) = rest
        .split_once(char::is_whitespace)
        .map_or((rest, ""), |(w, a)| (w, a.trim()));
    let name = word.split('@').next().unwrap_or_default();
    Command::ALL
        .iter()
        .find(|c| c.name().eq_ignore_ascii_case(name))
        .map_or(Parsed::Unknown, |&c| Parsed::Command(c, argument))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_a_bot_name_an_argument_and_any_case() {
        assert_eq!(parse("/start"), Parsed::Command(Command::Start, ""));
        assert_eq!(
            parse("/start@hdnd_bot abc123"),
            Parsed::Command(Command::Start, "abc123")
        );
        assert_eq!(parse("  /HELP  "), Parsed::Command(Command::Help, ""));
        assert_eq!(parse("/lang en"), Parsed::Command(Command::Lang, "en"));
        assert_eq!(parse("/xoa"), Parsed::Unknown);
        assert_eq!(
            parse("/msg dai_bieu Họp lúc 14h"),
            Parsed::Command(Command::Msg, "dai_bieu Họp lúc 14h")
        );
        assert_eq!(parse("/messages"), Parsed::Command(Command::Messages, ""));
        assert_eq!(parse("/"), Parsed::Unknown);
        assert_eq!(parse("Đèn đường hỏng"), Parsed::Text);
    }

    #[test]
    fn internal_messages_are_staff_commands_that_an_unlinked_chat_never_sees() {
        for command in [Command::Msg, Command::Messages] {
            assert_eq!(command.audience(), Audience::Staff);
            assert!(!Command::visible(false).any(|c| c == command));
            assert!(Command::visible(true).any(|c| c == command));
        }
    }

    #[test]
    fn staff_commands_are_seen_only_by_linked_chats() {
        let citizens: Vec<_> = Command::visible(false).collect();
        let staff: Vec<_> = Command::visible(true).collect();
        for command in [
            Command::Inbox,
            Command::Case,
            Command::Tasks,
            Command::Agenda,
        ] {
            assert_eq!(command.audience(), Audience::Staff);
            assert!(!citizens.contains(&command) && staff.contains(&command));
        }
        assert_eq!(staff.len(), Command::ALL.len());
        assert_eq!(
            parse("/case HB.20261126.0012"),
            Parsed::Command(Command::Case, "HB.20261126.0012")
        );
    }

    #[test]
    fn every_command_is_described_in_both_languages_from_its_docs() {
        for &command in Command::ALL {
            let vi = command.description(Language::Vi);
            let en = command.description(Language::En);
            assert!(!vi.is_empty() && !en.is_empty(), "{command:?}");
            assert_ne!(vi, en, "{command:?}");
        }
        assert_eq!(
            Command::Start.description(Language::Vi),
            "Giới thiệu kênh tiếp nhận"
        );
    }
}
