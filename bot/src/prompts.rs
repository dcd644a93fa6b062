//! Each dialogue step as the person sees it: the template's data and the buttons under it, in
//! the reader's language. The words of the prompts live in `templates/telegram/bot_step.*.hbs`;
//! the button labels and the plain-words explanation of each kind live here, beside the
//! callback data they go with.

use hdnd_hub::delivery::{Button, ButtonAction, Keyboard};
use hdnd_hub::domain::{CaseKind, CouncilProfile, Language};
use hdnd_hub::files::{FileLimits, SniffedType, format_size};
use serde_json::{Value, json};

use crate::dialogue::{Dialogue, KINDS, Refusal, Step};
use crate::text::CallbackData;

/// What each kind means, in plain words, and what the law needs for the two that need more.
fn explain(kind: CaseKind, language: Language) -> &'static str {
    match (kind, language) {
        (CaseKind::YKien, Language::Vi) => "góp ý về hoạt động của Hội đồng, của chính quyền",
        (CaseKind::YKien, Language::En) => {
            "a comment on the work of the council or the authorities"
        }
        (CaseKind::KienNghi, Language::Vi) => "đề nghị cơ quan xem xét, giải quyết một việc chung",
        (CaseKind::KienNghi, Language::En) => {
            "asking a body to look into and settle a public matter"
        }
        (CaseKind::PhanAnh, Language::Vi) => "báo cho Hội đồng biết một sự việc, hiện tượng",
        (CaseKind::PhanAnh, Language::En) => "telling the council about something that happens",
        (CaseKind::KhieuNai, Language::Vi) => {
            "đề nghị xem xét lại một quyết định, hành vi hành chính xâm phạm quyền lợi của ông/bà; \
             cần họ tên và địa chỉ của người khiếu nại"
        }
        (CaseKind::KhieuNai, Language::En) => {
            "asking for an administrative decision or act that harms you to be reviewed; your full \
             name and address are needed"
        }
        (CaseKind::ToCao, Language::Vi) => {
            "báo hành vi vi phạm pháp luật của cán bộ, cơ quan; cần họ tên và địa chỉ của người tố \
             cáo, được giữ bí mật theo Luật Tố cáo; Hội đồng chỉ liên hệ qua cuộc trò chuyện này"
        }
        (CaseKind::ToCao, Language::En) => {
            "reporting an official's or a body's breach of the law; your full name and address are \
             needed and kept secret under the Law on Denunciations; the council contacts you only in \
             this chat"
        }
        (CaseKind::KienNghiCuTri, Language::Vi) => "kiến nghị của cử tri tại buổi tiếp xúc",
        (CaseKind::KienNghiCuTri, Language::En) => "a voters' petition from a voters' meeting",
    }
}

fn label(vi: &'static str, en: &'static str, language: Language) -> &'static str {
    match language {
        Language::Vi => vi,
        Language::En => en,
    }
}

fn button(text: &str, data: String) -> Option<Button> {
    // A code too long for Telegram's 64 bytes gets no button rather than a broken one.
    CallbackData::new(data).ok().map(|data| Button {
        text: text.to_owned(),
        action: ButtonAction::CallbackData(data.as_str().to_owned()),
    })
}

/// Two buttons a row, so that long Vietnamese names stay readable on a phone.
fn pairs(buttons: Vec<Button>) -> Vec<Vec<Button>> {
    buttons.chunks(2).map(<[Button]>::to_vec).collect()
}

/// The buttons under a step's prompt.
pub fn keyboard(profile: &CouncilProfile, dialogue: &Dialogue, language: Language) -> Keyboard {
    let l = |vi, en| label(vi, en, language);
    let mut rows = match dialogue.step {
        Step::Choose => vec![
            button(
                l("Đây là câu trả lời", "This is my answer"),
                "n:choose:answer".into(),
            )
            .into_iter()
            .collect(),
            button(
                l("Gửi thành hồ sơ mới", "Send it as a new case"),
                "n:choose:new".into(),
            )
            .into_iter()
            .collect(),
        ],
        Step::ChooseAdd => vec![
            button(
                l("➕ Bổ sung vào hồ sơ đang mở", "➕ Add it to my open case"),
                "n:choose_add:add".into(),
            )
            .into_iter()
            .collect(),
            button(
                l("📝 Gửi thành hồ sơ mới", "📝 Send it as a new case"),
                "n:choose_add:new".into(),
            )
            .into_iter()
            .collect(),
        ],
        Step::AddInfo => vec![
            button(l("✅ Gửi bổ sung", "✅ Send"), "n:confirm".into())
                .into_iter()
                .collect(),
        ],
        Step::Withdraw => vec![
            button(
                l("Xác nhận rút hồ sơ", "Yes, withdraw it"),
                "n:withdraw:yes".into(),
            )
            .into_iter()
            .collect(),
        ],
        Step::Kind => KINDS
            .iter()
            .filter_map(|k| button(k.label(language), format!("n:kind:{}", k.as_str())))
            .map(|b| vec![b])
            .collect(),
        Step::Area => pairs(
            profile
                .areas
                .iter()
                .filter_map(|a| button(&a.name, format!("n:area:{}", a.code)))
                .collect(),
        ),
        Step::Category => pairs(
            profile
                .categories
                .iter()
                .filter_map(|c| button(&c.name, format!("n:category:{}", c.code)))
                .collect(),
        ),
        Step::Consent => vec![
            button(
                l("Đồng ý công khai", "Yes, it may be published"),
                "n:consent:yes".into(),
            )
            .into_iter()
            .chain(button(l("Không công khai", "No"), "n:consent:no".into()))
            .collect(),
        ],
        Step::Confirm => vec![
            button(l("✅ Gửi hồ sơ", "✅ Send"), "n:confirm".into())
                .into_iter()
                .collect(),
        ],
        Step::Rate => vec![
            (1..=5)
                .filter_map(|n| button(&format!("{n} ⭐"), format!("n:rate:{n}")))
                .collect(),
        ],
        Step::RateSend => vec![
            button(
                l("✅ Gửi đánh giá", "✅ Send my rating"),
                "n:rate_send:ok".into(),
            )
            .into_iter()
            .collect(),
            button(
                l(
                    "🔁 Chưa hài lòng, đề nghị xem xét lại",
                    "🔁 Not satisfied: please look again",
                ),
                "n:rate_send:again".into(),
            )
            .into_iter()
            .collect(),
        ],
        Step::Files => vec![
            button(l("Tiếp tục ▶", "Continue ▶"), "n:skip".into())
                .into_iter()
                .collect(),
        ],
        Step::StaffAnswerAs => vec![
            button(
                l("✅ Gửi: đã giải quyết", "✅ Send as resolved"),
                "n:answer_as:answered".into(),
            )
            .into_iter()
            .collect(),
            button(
                l("ℹ️ Gửi: giải trình, thông tin", "ℹ️ Send as an explanation"),
                "n:answer_as:explained".into(),
            )
            .into_iter()
            .collect(),
        ],
        Step::StaffRoom => vec![
            button(
                l("❓ Gửi thành câu hỏi", "❓ Send as a question"),
                "n:room:ask".into(),
            )
            .into_iter()
            .collect(),
            button(
                l(
                    "✅ Gửi trả lời: đã giải quyết",
                    "✅ Send as the answer: resolved",
                ),
                "n:room:answered".into(),
            )
            .into_iter()
            .collect(),
            button(
                l(
                    "ℹ️ Gửi trả lời: giải trình",
                    "ℹ️ Send as the answer: explained",
                ),
                "n:room:explained".into(),
            )
            .into_iter()
            .collect(),
        ],
        Step::StaffUnit => pairs(
            profile
                .units
                .iter()
                .filter_map(|u| button(&u.name, format!("n:unit:{}", u.code)))
                .collect(),
        ),
        Step::StaffAssignee => dialogue
            .draft
            .choices
            .iter()
            .filter_map(|c| button(&c.label, format!("n:assignee:{}", c.value)))
            .map(|b| vec![b])
            .collect(),
        Step::StaffPublish => vec![
            button(l("🌐 Công khai", "🌐 Publish"), "n:confirm".into())
                .into_iter()
                .collect(),
        ],
        Step::Content
        | Step::Name
        | Step::Address
        | Step::IdNumber
        | Step::Phone
        | Step::Email
        | Step::StaffNote
        | Step::StaffTitle
        | Step::StaffExcerpt
        | Step::MessageReply
        | Step::RateComment => Vec::new(),
    };
    // At the files step "continue" is the way on, with or without files.
    if dialogue.optional() && dialogue.step != Step::Files {
        rows.extend(button(l("Bỏ qua", "Skip"), "n:skip".into()).map(|b| vec![b]));
    }
    let mut last = Vec::new();
    if !matches!(
        dialogue.step,
        Step::Kind
            | Step::Choose
            | Step::ChooseAdd
            | Step::AddInfo
            | Step::Withdraw
            | Step::Rate
            | Step::StaffNote
            | Step::StaffUnit
            | Step::StaffAssignee
            | Step::StaffTitle
            | Step::StaffRoom
            | Step::MessageReply
    ) {
        last.extend(button(l("◀ Quay lại", "◀ Back"), "n:back".into()));
    }
    last.extend(button(l("Hủy", "Cancel"), "n:cancel".into()));
    rows.push(last);
    Keyboard { rows }
}

/// The template data of a step's prompt.
pub fn data(
    profile: &CouncilProfile,
    limits: FileLimits,
    dialogue: &Dialogue,
    refusal: Option<&Refusal>,
    language: Language,
) -> Value {
    let draft = &dialogue.draft;
    let kinds: Vec<_> = KINDS
        .iter()
        .map(|k| json!({ "label": k.label(language), "explain": explain(*k, language) }))
        .collect();
    let name_of = |code: &Option<String>, list: &[hdnd_hub::domain::profile::NamedCode]| {
        code.as_deref()
            .and_then(|c| list.iter().find(|n| n.code == c))
            .map(|n| n.name.clone())
    };
    json!({
        "step": dialogue.step.as_str(),
        "refusal": refusal.map(Refusal::as_str),
        "refusal_detail": refusal.and_then(Refusal::detail),
        "limits": {
            "files": limits.max_case_files,
            "file_size": format_size(limits.max_file_bytes, language),
            "types": SniffedType::allowed_list(language),
        },
        "file_count": draft.files.len(),
        "files": draft.files.iter().map(|f| json!({
            "name": f.name,
            "size": format_size(f.size, language),
        })).collect::<Vec<_>>(),
        "optional": dialogue.optional(),
        "kinds": kinds,
        "denunciation": draft.is_denunciation(),
        "identity": draft.needs_identity(),
        "case_code": draft.case_code,
        "draft": {
            "kind": draft.kind().map(|k| k.label(language)),
            "area": name_of(&draft.area, &profile.areas),
            "category": name_of(&draft.category, &profile.categories),
            "content": draft.content,
            "name": draft.name,
            "address": draft.address,
            "id_number": draft.id_number,
            "phone": draft.phone,
            "email": draft.email,
            "consent": draft.consent,
            "score": draft.score,
            "staff_action": draft.staff_action,
            "public_title": draft.public_title,
            "message_id": draft.message_id,
        },
    })
}

#[cfg(test)]
mod tests {
    use hdnd_hub::delivery::render::Renderer;

    use super::*;
    use crate::dialogue::{Draft, DraftFile};

    /// Every step's prompt, with every refusal, renders in both languages: a template error
    /// would leave the person without an answer.
    #[test]
    fn every_step_renders_with_every_refusal_in_both_languages() {
        let profile = CouncilProfile::demo();
        let renderer = Renderer::builtin();
        let steps = [
            Step::Choose,
            Step::ChooseAdd,
            Step::AddInfo,
            Step::Withdraw,
            Step::Kind,
            Step::Area,
            Step::Category,
            Step::Content,
            Step::Files,
            Step::Name,
            Step::Address,
            Step::IdNumber,
            Step::Phone,
            Step::Email,
            Step::Consent,
            Step::Confirm,
            Step::Rate,
            Step::RateComment,
            Step::RateSend,
            Step::StaffNote,
            Step::StaffAnswerAs,
            Step::StaffUnit,
            Step::StaffAssignee,
            Step::StaffTitle,
            Step::StaffExcerpt,
            Step::StaffPublish,
            Step::MessageReply,
        ];
        let refusals = [
            None,
            Some(Refusal::UseTheButtons),
            Some(Refusal::TooShort),
            Some(Refusal::Required),
            Some(Refusal::NotAPhone),
            Some(Refusal::NotAnEmail),
            Some(Refusal::NotAnIdNumber),
            Some(Refusal::NotYourContact),
            Some(Refusal::Unsupported),
            Some(Refusal::FileNotHere),
            Some(Refusal::File("Tệp quá lớn.".to_owned())),
        ];
        let draft = Draft {
            kind: Some("khieu_nai".to_owned()),
            content: Some("Nội dung <b>thử</b>".to_owned()),
            files: vec![DraftFile {
                id: 1,
                name: "anh.jpg".to_owned(),
                size: 2_000_000,
            }],
            case_code: Some("HB.20261126.0012".to_owned()),
            ..Draft::default()
        };
        // The staff note asks for a reason, a question or an answer.
        let actions = ["reject", "ask", "answer"];
        let cases = steps.into_iter().flat_map(|step| {
            let actions = if step == Step::StaffNote {
                &actions[..]
            } else {
                &actions[..1]
            };
            actions.iter().map(move |action| (step, *action))
        });
        for (step, action) in cases {
            for language in [Language::Vi, Language::En] {
                for refusal in &refusals {
                    let mut draft = draft.clone();
                    draft.staff_action = Some(action.to_owned());
                    let dialogue = Dialogue { step, draft };
                    let data = data(
                        &profile,
                        FileLimits::default(),
                        &dialogue,
                        refusal.as_ref(),
                        language,
                    );
                    let message = renderer
                        .telegram("bot_step", language, &data)
                        .unwrap_or_else(|e| panic!("{step:?} {language:?} {refusal:?}: {e}"));
                    let text = message.parts.join("");
                    assert!(!text.trim().is_empty(), "{step:?} {language:?}");
                    assert!(!text.contains("<b>thử"), "the draft is escaped: {text}");
                    if let Some(Refusal::File(why)) = refusal {
                        assert!(text.contains(why.as_str()), "{text}");
                    }
                }
            }
        }
    }
}
