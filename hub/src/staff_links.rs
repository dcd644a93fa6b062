//! Staff on Telegram, as hub services: the one-time link that ties an account to a chat, who
//! a chat is, and the signed buttons staff press under a case.
//!
//! Linking comes twice, as the citizen services do (`feedback.rs`): [`Hub::plan_staff_link`]
//! checks everything and returns the change, for the bot to store with the `/start <token>`
//! message it came in (`InboundEffect::StaffLink`), so that a replayed update links nothing
//! twice; and [`Hub::link_staff_chat`] plans and applies at once. The token and the chat id
//! appear in no log line, `Debug` output or outbox key.

use crate::access::Caller;
use crate::domain::policy::Action;
use crate::domain::staff_link::{link_refused, presented_hash};
use crate::domain::{
    ButtonTarget, CaseId, ContactKind, NormalisedContact, Staff, StaffAction, StaffButton,
    StaffLinkToken,
};
use crate::error::{DomainError, Error};
use crate::hub::Hub;
use crate::storage::{NewStaffLink, StaffLinkChange};

impl Hub {
    /// Issues a one-time link of the account `login` to a Telegram chat (`manage_staff`: an
    /// administrator, or the operator at the command line). The token is returned once and
    /// only its hash is stored; it may be used once, within the hub's staff link time (24
    /// hours unless configured). Earlier links of the account stay valid until they expire.
    pub async fn issue_staff_link(
        &self,
        caller: Caller,
        login: &str,
    ) -> Result<StaffLinkToken, Error> {
        self.allow(caller, Action::ManageStaff).await?;
        let staff = self.store().get_staff_by_login(login).await?;
        if !staff.active {
            return Err(DomainError::invalid(
                "login",
                format!(
                    "tài khoản {login} đã ngừng hoạt động, không thể liên kết Telegram \
                     (the account {login} is inactive and cannot be linked)",
                    login = staff.login
                ),
            )
            .into());
        }
        let expires_at = self.clock().now() + self.staff_link_ttl;
        let token = StaffLinkToken::generate(staff.id, &staff.login, expires_at);
        let link = NewStaffLink {
            staff: staff.id,
            token_hash: token.hash(),
            expires_at,
        };
        self.store().add_staff_link(&link, &caller.audit()).await?;
        tracing::info!(
            staff.id = staff.id.0,
            "a Telegram link was issued for staff {}",
            staff.id
        );
        Ok(token)
    }

    /// What `/start <token>` from the Telegram chat `chat` changes: the token's account gets
    /// the chat as its Telegram contact (replacing its earlier one; a chat linked to another
    /// account moves). A token that is unknown, used, expired or whose account is inactive
    /// gets one refusal ([`link_refused`]; tell it apart with
    /// [`is_link_refusal`](crate::domain::staff_link::is_link_refusal)). Nothing is written
    /// until the change is applied.
    pub async fn plan_staff_link(&self, token: &str, chat: &str) -> Result<StaffLinkChange, Error> {
        let chat = NormalisedContact::parse(ContactKind::Telegram, chat)?;
        let token_hash = presented_hash(token).ok_or_else(link_refused)?;
        let now = self.clock().now();
        let link = self
            .store()
            .get_staff_link(&token_hash)
            .await?
            .filter(|link| link.used_at.is_none() && link.expires_at > now)
            .ok_or_else(link_refused)?;
        let staff = self.store().get_staff(link.staff).await?;
        if !staff.active {
            return Err(link_refused().into());
        }
        let moved_from = self
            .store()
            .get_staff_by_chat(&chat)
            .await?
            .map(|holder| holder.id)
            .filter(|holder| *holder != staff.id);
        let replaces_chat = staff
            .contacts
            .iter()
            .any(|c| c.kind == ContactKind::Telegram && c.address != chat.value());
        Ok(StaffLinkChange {
            staff,
            chat,
            moved_from,
            replaces_chat,
            token_hash,
        })
    }

    /// [`Hub::plan_staff_link`] applied at once: the account as it is linked now.
    pub async fn link_staff_chat(&self, token: &str, chat: &str) -> Result<Staff, Error> {
        let change = self.plan_staff_link(token, chat).await?;
        let staff = self.store().link_staff_chat(&change).await?;
        tracing::info!(
            staff.id = staff.id.0,
            "staff {} linked a Telegram chat",
            staff.id
        );
        Ok(staff)
    }

    /// The active staff account the Telegram chat `chat` is linked to, if any: who a chat is,
    /// for the bot. An inactive account's chat is nobody's.
    pub async fn staff_by_chat(&self, chat: &str) -> Result<Option<Staff>, Error> {
        let chat = NormalisedContact::parse(ContactKind::Telegram, chat)?;
        Ok(self
            .store()
            .get_staff_by_chat(&chat)
            .await?
            .filter(|staff| staff.active))
    }

    /// The signed callback data of the button `action` on `case` (at most 64 bytes).
    pub fn staff_button(&self, action: StaffAction, case: CaseId) -> String {
        StaffButton::case(action, case).encode(&self.button_key())
    }

    /// The signed callback data of the button `action` on the task `task` (a reminder's).
    pub fn task_button(&self, action: StaffAction, task: i64) -> String {
        StaffButton {
            action,
            target: ButtonTarget::Task(task),
        }
        .encode(&self.button_key())
    }

    /// The button callback data names, or `None` unless this hub made exactly this data (any
    /// change of the action, the case or the tag reads as `None`). It proves only where the
    /// button came from: the services it leads to check who pressed it.
    pub fn read_staff_button(&self, data: &str) -> Option<StaffButton> {
        StaffButton::decode(data, &self.button_key())
    }
}
