//! A staff group (a Telegram supergroup with topics), when the council has one: every case
//! gets a topic of its own, which the first message about it creates. A new case is posted
//! there with the buttons of what the office may do, and each later change of status with the
//! buttons of what may be done next; whoever presses one is checked as they would be in their
//! own chat. A denunciation is never posted: the group's members need not hold the role that
//! may read it.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{CaseEvent, Notifier, StaffRecipients};
use crate::delivery::ChannelKind;
use crate::delivery::outbox::{Category, Destination, NewNotification, Target};
use crate::domain::staff_button::case_actions;
use crate::domain::{Case, CaseKind, Language, StaffAction, StaffButton};
use crate::error::Error;
use crate::notification::{Button, ButtonAction, Keyboard, TelegramThread};

/// The group's chat id and the language it is written to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRoom {
    pub chat: String,
    pub language: Language,
}

impl Notifier {
    /// The post in the staff group's topic of `case` about `event`, if there is a group.
    pub(super) fn for_room(
        &self,
        case: &Case,
        event: &CaseEvent,
        staff: &StaffRecipients,
        now: DateTime<Utc>,
    ) -> Result<Option<NewNotification>, Error> {
        let Some(room) = &self.staff_room else {
            return Ok(None);
        };
        let (template, key) = match event {
            _ if case.kind == CaseKind::ToCao => return Ok(None),
            CaseEvent::Received => ("staff_new_case", "room:new"),
            CaseEvent::StatusChanged { .. } => ("staff_room_update", "room:status"),
            CaseEvent::InformationAdded { .. } => ("staff_info_added", "room:info"),
        };
        let note = match event {
            CaseEvent::StatusChanged { note, .. } => note.as_deref(),
            _ => None,
        };
        let language = room.language;
        let data = json!({
            "council": { "name": self.profile.name },
            "staff": { "name": null },
            "case": self.case_data(case, false, note, language),
        });
        let mut telegram = self
            .renderer
            .telegram(template, language, &data)
            .map_err(|e| Error::Template(e.to_string()))?;
        telegram.keyboard = self.room_keyboard(case, staff, language);
        telegram.thread = Some(TelegramThread::Case {
            case: case.id.0,
            title: format!("{} · {}", case.code, case.kind.label(language)),
        });
        Ok(Some(NewNotification {
            key: key.to_owned(),
            to: Target::Contacts(vec![Destination {
                channel: ChannelKind::Telegram,
                address: room.chat.clone(),
            }]),
            category: Category::StaffCase,
            urgent: false,
            email: None,
            telegram: Some(telegram),
            due_at: now,
            suppressed: false,
        }))
    }

    /// What anyone active on the office's staff may do next on `case`, in the workflow's
    /// order: the group's buttons. Pressing one is checked against the member who pressed it.
    fn room_keyboard(&self, case: &Case, staff: &StaffRecipients, language: Language) -> Keyboard {
        let Some(key) = &self.button_key else {
            return Keyboard::default();
        };
        let context = self.case_context(case, &staff.staff);
        let offered: Vec<StaffAction> = staff
            .staff
            .iter()
            .filter(|s| s.active)
            .flat_map(|member| case_actions(case, member, &context))
            .collect();
        let buttons: Vec<Button> = StaffAction::ALL
            .iter()
            .filter(|action| offered.contains(action))
            .map(|action| Button {
                text: action.label(language).to_owned(),
                action: ButtonAction::CallbackData(StaffButton::case(*action, case.id).encode(key)),
            })
            .collect();
        Keyboard {
            rows: buttons.chunks(2).map(<[Button]>::to_vec).collect(),
        }
    }
}
