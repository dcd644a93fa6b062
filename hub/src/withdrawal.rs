//! Withdrawing a case by a link: a citizen who writes RÚT ĐƠN (withdraw) in a reply is sent a
//! signed link, valid for [`LINK_DAYS`] days; opening it shows the case and a button, and only
//! the button's POST withdraws, so that a link checker or a preview that fetches the URL
//! changes nothing. The token names the case and its expiry under [`Hub::mail_key`]; holding
//! it is holding the capability, as the mail it came in was sent to the case's own address.

use chrono::Duration;

use crate::access::CitizenCapability;
use crate::domain::progress::TransitionRequest;
use crate::domain::{Actor, Case, CaseCode, Status};
use crate::error::Error;
use crate::hub::Hub;
use crate::private_view::PrivateCase;

/// How long a withdrawal link works.
pub const LINK_DAYS: i64 = 7;

impl Hub {
    /// The token of the link that withdraws the case of `capability`, for [`LINK_DAYS`].
    pub async fn withdrawal_token(&self, capability: &CitizenCapability) -> Result<String, Error> {
        let case = self.store().get_case(capability.case()).await?;
        let expires = (self.clock().now() + Duration::days(LINK_DAYS)).timestamp();
        Ok(self.mail_key().withdrawal_token(&case.code, expires))
    }

    /// The case a withdrawal link offers to withdraw, as its sender sees it; `None` for a
    /// token that is not one of ours, has expired, or names a case that is gone.
    pub async fn withdrawal_offer(&self, token: &str) -> Result<Option<PrivateCase>, Error> {
        match self.withdrawal_capability(token).await? {
            Some(capability) => self.case_as_sent(&capability).await.map(Some),
            None => Ok(None),
        }
    }

    /// Withdraws the case a withdrawal link names, as its citizen; `None` as for
    /// [`Hub::withdrawal_offer`]. A case the workflow no longer lets its citizen withdraw
    /// (answered, closed, withdrawn already) is the domain's refusal.
    pub async fn withdraw_by_link(&self, token: &str) -> Result<Option<Case>, Error> {
        let Some(capability) = self.withdrawal_capability(token).await? else {
            return Ok(None);
        };
        let request = TransitionRequest::to(Status::Withdrawn, Actor::Citizen);
        self.transition_as_citizen(&capability, request)
            .await
            .map(Some)
    }

    async fn withdrawal_capability(&self, token: &str) -> Result<Option<CitizenCapability>, Error> {
        let Some((code, expires)) = self.mail_key().read_withdrawal(token) else {
            return Ok(None);
        };
        if self.clock().now().timestamp() > expires {
            return Ok(None);
        }
        self.case_capability(&code).await
    }

    pub(crate) async fn case_capability(
        &self,
        code: &CaseCode,
    ) -> Result<Option<CitizenCapability>, Error> {
        match self.store().get_case_by_code(code).await {
            Ok(case) => Ok(Some(CitizenCapability::of(case.id))),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
