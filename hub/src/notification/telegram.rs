//! Telegram's limits on one message, and its HTML parse mode: escaping, and splitting a long
//! text into messages that each stand on their own.
//!
//! Telegram counts a message's length in UTF-16 code units (4096 at most, after its HTML is
//! parsed). Vietnamese in NFC is one unit a letter, an emoji two. The splitter counts the HTML
//! source, tags and entities included, which is never less than what Telegram counts, so a
//! part that fits here fits there.

use super::{Button, ButtonAction, Keyboard};
use crate::domain::policy::CaseContext;
use crate::domain::staff_button::{ButtonKey, StaffButton, case_actions};
use crate::domain::{Case, Staff};

/// The most UTF-16 code units one message may hold.
pub const MESSAGE_LIMIT: usize = 4096;
/// The most bytes of callback data one inline button may carry.
pub const CALLBACK_DATA_LIMIT: usize = 64;

/// The callback data of the "rate the answer" button under a citizen's answered case; the
/// bot reads it back with [`rated_case`]. A case code keeps it well under the limit.
pub fn rate_button(code: &str) -> String {
    format!("r:{code}")
}

/// The case code a "rate the answer" button names.
pub fn rated_case(data: &str) -> Option<&str> {
    data.strip_prefix("r:")
}

/// The signed buttons under `member`'s message about `case`: what they may do next
/// ([`case_actions`], given the case's policy `context`), two to a row, labelled in their
/// language. Empty for anybody who may not read the case.
pub fn case_keyboard(
    case: &Case,
    member: &Staff,
    context: &CaseContext,
    key: &ButtonKey,
) -> Keyboard {
    let buttons: Vec<Button> = case_actions(case, member, context)
        .into_iter()
        .map(|action| Button {
            text: action.label(member.language).to_owned(),
            action: ButtonAction::CallbackData(StaffButton::case(action, case.id).encode(key)),
        })
        .collect();
    Keyboard {
        rows: buttons.chunks(2).map(<[Button]>::to_vec).collect(),
    }
}

/// The callback data of the "add information" button under a citizen's news of an open case;
/// the bot reads it back with [`add_info_case`].
pub fn add_info_button(code: &str) -> String {
    format!("i:{code}")
}

/// The case code an "add information" button names.
pub fn add_info_case(data: &str) -> Option<&str> {
    data.strip_prefix("i:")
}

/// Escapes text for Telegram's HTML parse mode: `&`, `<` and `>`, the only characters it
/// requires escaped outside tags.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The length of `text` as Telegram counts it.
pub fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// One indivisible piece of HTML: a tag, an entity, or one character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Atom<'a> {
    Open { name: &'a str, tag: &'a str },
    Close { name: &'a str, tag: &'a str },
    Text(&'a str),
}

impl<'a> Atom<'a> {
    fn source(&self) -> &'a str {
        match self {
            Atom::Open { tag, .. } | Atom::Close { tag, .. } => tag,
            Atom::Text(text) => text,
        }
    }

    fn units(&self) -> usize {
        utf16_len(self.source())
    }
}

/// Cuts HTML into atoms; a `<` or `&` that starts no complete tag or entity is plain text (the
/// registry escapes data, so only a template could write one).
fn atoms(html: &str) -> Vec<Atom<'_>> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(c) = rest.chars().next() {
        let taken = match c {
            '<' => rest.find('>').map(|end| {
                let tag = &rest[..=end];
                let inner = tag[1..tag.len() - 1].trim();
                match inner.strip_prefix('/') {
                    Some(name) => Atom::Close {
                        name: name.trim(),
                        tag,
                    },
                    None => Atom::Open {
                        name: inner.split_whitespace().next().unwrap_or(""),
                        tag,
                    },
                }
            }),
            '&' => rest
                .find(';')
                .filter(|end| {
                    *end > 1
                        && rest[1..*end]
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '#')
                })
                .map(|end| Atom::Text(&rest[..=end])),
            _ => None,
        }
        .unwrap_or_else(|| Atom::Text(&rest[..c.len_utf8()]));
        rest = &rest[taken.source().len()..];
        out.push(taken);
    }
    out
}

/// Splits Telegram HTML into messages of at most `limit` UTF-16 code units, preferring to cut
/// after a blank line, then after a line, then after a space (in the second half of a part, so
/// that no part is needlessly short). A cut never falls inside a tag, an entity or a character;
/// tags open at a cut are closed at the end of the part and opened again at the start of the
/// next, so every part is valid HTML on its own.
pub fn split_html(html: &str, limit: usize) -> Vec<String> {
    let atoms = atoms(html);
    let mut parts = Vec::new();
    let mut open: Vec<Atom<'_>> = Vec::new();
    let mut start = 0;
    while start < atoms.len() {
        let prefix: String = open.iter().map(Atom::source).collect();
        let mut stack = open.clone();
        let mut units = utf16_len(&prefix);
        // The best cut of each kind so far: (atom index after the cut, units there, stack).
        let mut fits: Option<(usize, usize, Vec<Atom<'_>>)> = None;
        let mut preferred: [Option<(usize, usize, Vec<Atom<'_>>)>; 3] = [None, None, None];
        let mut end = start;
        while end < atoms.len() {
            let atom = atoms[end];
            let mut next_stack = stack.clone();
            apply(&mut next_stack, atom);
            let next_units = units + atom.units();
            if next_units + closing_units(&next_stack) > limit {
                break;
            }
            units = next_units;
            stack = next_stack;
            end += 1;
            fits = Some((end, units, stack.clone()));
            if let Atom::Text(text) = atom {
                let kind = match text {
                    "\n" if end >= 2 && atoms[end - 2] == Atom::Text("\n") => Some(0),
                    "\n" => Some(1),
                    " " => Some(2),
                    _ => None,
                };
                if let Some(kind) = kind {
                    preferred[kind] = Some((end, units, stack.clone()));
                    if kind == 0 {
                        preferred[1] = Some((end, units, stack.clone()));
                    }
                }
            }
        }
        let (cut, stack_at_cut) = if end == atoms.len() {
            (end, stack)
        } else {
            match fits {
                None => {
                    // Not even one atom fits after the reopened tags: take it anyway rather
                    // than loop for ever (only a limit far below Telegram's can do this).
                    let mut forced = open.clone();
                    apply(&mut forced, atoms[start]);
                    (start + 1, forced)
                }
                Some((hard, hard_units, hard_stack)) => preferred
                    .into_iter()
                    .flatten()
                    .find(|(_, at, _)| *at > hard_units / 2)
                    .map_or((hard, hard_stack), |(cut, _, stack)| (cut, stack)),
            }
        };
        let mut body: Vec<&str> = atoms[start..cut].iter().map(Atom::source).collect();
        while body.last().is_some_and(|s| s.trim().is_empty()) {
            body.pop();
        }
        let mut part = prefix;
        part.extend(body);
        part.push_str(&closing(&stack_at_cut));
        parts.push(part);
        open = stack_at_cut;
        start = cut;
        // A new part starts with its text, not with the line break that ended the last one.
        while start < atoms.len() && atoms[start] == Atom::Text("\n") {
            start += 1;
        }
    }
    if parts.is_empty() {
        parts.push(String::new());
    }
    parts
}

/// Tracks the open tags after `atom`.
fn apply<'a>(stack: &mut Vec<Atom<'a>>, atom: Atom<'a>) {
    match atom {
        Atom::Open { .. } => stack.push(atom),
        Atom::Close { name, .. } => {
            if let Some(i) = stack.iter().rposition(
                |a| matches!(a, Atom::Open { name: n, .. } if n.eq_ignore_ascii_case(name)),
            ) {
                stack.truncate(i);
            }
        }
        Atom::Text(_) => {}
    }
}

/// The closing tags of `stack`, innermost first.
fn closing(stack: &[Atom<'_>]) -> String {
    stack
        .iter()
        .rev()
        .filter_map(|a| match a {
            Atom::Open { name, .. } => Some(format!("</{name}>")),
            _ => None,
        })
        .collect()
}

fn closing_units(stack: &[Atom<'_>]) -> usize {
    stack
        .iter()
        .map(|a| match a {
            Atom::Open { name, .. } => name.len() + 3,
            _ => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text Telegram shows: tags removed, whitespace ignored (cuts drop it).
    fn shown(html: &str) -> String {
        atoms(html)
            .into_iter()
            .filter_map(|a| match a {
                Atom::Text(t) if !t.trim().is_empty() => Some(t),
                _ => None,
            })
            .collect()
    }

    /// Every tag a part opens it closes, in order.
    fn balanced(part: &str) -> bool {
        let mut stack = Vec::new();
        for atom in atoms(part) {
            match atom {
                Atom::Open { name, .. } => stack.push(name),
                Atom::Close { name, .. } => {
                    if stack.pop() != Some(name) {
                        return false;
                    }
                }
                Atom::Text(_) => {}
            }
        }
        stack.is_empty()
    }

    #[test]
    fn html_is_escaped_for_telegram_but_quotes_are_left_alone() {
        assert_eq!(
            escape_html("<b>Đèn & cột</b> \"hỏng\""),
            "&lt;b&gt;Đèn &amp; cột&lt;/b&gt; \"hỏng\""
        );
    }

    #[test]
    fn a_short_message_is_one_part() {
        assert_eq!(
            split_html("Xin <b>chào</b>", MESSAGE_LIMIT),
            vec!["Xin <b>chào</b>"]
        );
        assert_eq!(split_html("", MESSAGE_LIMIT), vec![""]);
    }

    #[test]
    fn long_text_splits_at_paragraphs_then_lines_then_spaces() {
        let para = "Kiến nghị về đèn đường. ".repeat(10);
        let text = format!("{para}\n\n{para}");
        let parts = split_html(&text, utf16_len(&para) + 5);
        assert_eq!(
            parts,
            vec![para.trim_end().to_owned(), para.trim_end().to_owned()]
        );
        // A blank line near the start is no reason for a tiny first part.
        let text = format!("Tiêu đề\n\n{}", "chữ ".repeat(30));
        let parts = split_html(&text, 60);
        assert!(parts[0].starts_with("Tiêu đề\n\nchữ"), "{parts:?}");
        assert_eq!(split_html("một hai ba bốn", 8), vec!["một hai", "ba bốn"]);
    }

    #[test]
    fn a_long_vietnamese_text_splits_into_parts_that_fit_and_lose_nothing() {
        // Arrange: paragraphs of NFC Vietnamese with bold codes and an escaped ampersand.
        let paragraph = "Hồ sơ <b>HB.20261126.0012</b>: đề nghị sửa chữa đèn chiếu sáng \
                         &amp; vỉa hè ngõ 12 phố Hoàng Văn Thụ, phường Hồng Bàng.\n";
        let text = paragraph.repeat(60) + "\n" + &paragraph.repeat(60);

        // Act
        let parts = split_html(&text, MESSAGE_LIMIT);

        // Assert
        assert!(parts.len() >= 3, "{}", parts.len());
        for part in &parts {
            assert!(utf16_len(part) <= MESSAGE_LIMIT);
            assert!(balanced(part), "{part}");
            assert!(!part.starts_with('\n') && !part.ends_with('\n'));
        }
        assert_eq!(shown(&parts.concat()), shown(&text));
        // Cut at line ends: every part but the last ends a line of the original.
        for part in &parts[..parts.len() - 1] {
            assert!(part.ends_with("Hồng Bàng."), "{}", &part[part.len() - 40..]);
        }
    }

    #[test]
    fn emoji_are_two_units_and_never_split_and_open_tags_are_carried_over() {
        // Arrange: one bold run of emoji and Vietnamese longer than a message, no spaces.
        let text = format!("<b>{}</b>", "😀ế".repeat(3000));

        // Act
        let parts = split_html(&text, MESSAGE_LIMIT);

        // Assert
        assert!(parts.len() >= 3);
        for part in &parts {
            assert!(utf16_len(part) <= MESSAGE_LIMIT, "{}", utf16_len(part));
            assert!(part.starts_with("<b>") && part.ends_with("</b>"), "{part}");
            assert!(balanced(part));
        }
        assert_eq!(shown(&parts.concat()), shown(&text));
    }

    #[test]
    fn a_cut_never_falls_inside_a_tag_or_an_entity() {
        // Arrange: a limit that lands inside the link's tag and inside `&amp;` in turn.
        let text = "abc <a href=\"https://hongbang.example/ho-so/HB.1\">hồ sơ</a> &amp; tiếp";
        for limit in 12..utf16_len(text) {
            // Act
            let parts = split_html(text, limit);

            // Assert
            for part in &parts {
                assert!(balanced(part), "{limit}: {part}");
                assert!(
                    !part.contains("&am ") && !part.ends_with("&am"),
                    "{limit}: {part}"
                );
                let opens = part.matches('<').count();
                assert_eq!(opens, part.matches('>').count(), "{limit}: {part}");
            }
            assert_eq!(shown(&parts.concat()), shown(text), "{limit}");
        }
    }
}
