//! What the public says back, as hub services: a citizen rates the answer to their case (and,
//! not satisfied, may reopen it), and anyone follows a published case from a Telegram chat or
//! an email address.
//!
//! Each service comes twice, as the other citizen services do (`access.rs`): a `plan_*` that
//! checks everything and returns the change, for a transport that stores it with the inbound
//! message it came in (`InboundEffect::Rating`, `Follow`, `Unfollow`), so that a replayed
//! message changes nothing twice; and a direct one that plans and applies at once, for the
//! web.

use crate::access::CitizenCapability;
use crate::domain::feedback::check_follow_contact;
use crate::domain::progress::TransitionRequest;
use crate::domain::{
    AccessToken, Actor, Case, CaseCode, CaseKind, EventKind, Followed, NewEvent, NormalisedContact,
    RatingInput, Reopening, Status,
};
use crate::error::{DomainError, Error};
use crate::hub::Hub;
use crate::storage::{FollowChange, FollowToken, RatedCase, RatingChange, UnfollowChange};

/// The refusal of a code that names no published case: an unknown code, an unpublished case
/// and a denunciation read alike, so that none can be told from another.
fn no_public_case(code: &CaseCode) -> Error {
    DomainError::invalid(
        "code",
        format!(
            "không có hồ sơ công khai nào mang mã {code} (no published case has the code {code})"
        ),
    )
    .into()
}

/// Whether the public may see `case` (and so follow it).
fn is_public(case: &Case) -> bool {
    case.publication.is_some() && case.kind != CaseKind::ToCao
}

impl Hub {
    /// The citizen rates the answer to their case, now: the rating, its timeline event and
    /// audit row and, when they are not satisfied within the profile's window, the case's
    /// reopening, in one transaction. See [`Hub::plan_rating_as_citizen`].
    pub async fn rate_as_citizen(
        &self,
        capability: &CitizenCapability,
        input: RatingInput,
    ) -> Result<RatedCase, Error> {
        let change = self.plan_rating_as_citizen(capability, input).await?;
        let rated = self.store().add_rating(change).await?;
        tracing::info!(
            case.id = rated.case.id.0,
            case.code = %rated.case.code,
            rating.score = rated.rating.score.get(),
            rating.reopening = rated.reopening.as_str(),
            "case {} rated {}",
            rated.case.code,
            rated.rating.score
        );
        Ok(rated)
    }

    /// What [`Hub::rate_as_citizen`] writes, for a transport that stores it with the inbound
    /// message it came in. A case still being handled cannot be rated. An answered or
    /// explained case is rated, and reopened (answered/explained → in_progress, the reopening
    /// edge of the workflow) when the citizen is not satisfied and the day is within
    /// `[feedback] reopen_within_days` of the answer; a rejected or withdrawn case is rated
    /// but never reopened. [`RatingChange::reopening`] says which came of it, for the reply.
    pub async fn plan_rating_as_citizen(
        &self,
        capability: &CitizenCapability,
        input: RatingInput,
    ) -> Result<RatingChange, Error> {
        let rating = input.validate()?;
        let case = self.store().get_case(capability.case()).await?;
        let status = case.progress.status;
        if status.is_open() {
            return Err(DomainError::invalid(
                "status",
                format!(
                    "hồ sơ {code} đang được giải quyết, chưa thể đánh giá kết quả \
                     (case {code} is still being handled: it can be rated once answered)",
                    code = case.code
                ),
            )
            .into());
        }
        let today = self.profile().local_date(self.clock().now());
        let answered = matches!(status, Status::Answered | Status::Explained);
        let reopening = match (rating.not_satisfied, answered) {
            (false, _) => Reopening::NotAsked,
            (true, false) => Reopening::NotAnswered,
            (true, true) => {
                // Counted from the day of the answer: the day the case was closed with it.
                let policy = self.profile().feedback;
                let answered_on = case.progress.closed_on.unwrap_or(today);
                if policy.may_reopen(answered_on, today) {
                    Reopening::Reopened
                } else {
                    Reopening::WindowClosed {
                        last_day: policy.last_reopening_day(answered_on),
                    }
                }
            }
        };
        let reopen = match reopening {
            Reopening::Reopened => {
                let mut request = TransitionRequest::to(Status::InProgress, Actor::Citizen);
                if let Some(comment) = &rating.comment {
                    request = request.with_text(comment);
                }
                Some(self.plan_change(&case, &request).await?)
            }
            _ => None,
        };
        let event = NewEvent {
            kind: EventKind::Rated,
            actor: Actor::Citizen,
            from: None,
            to: None,
            note: Some(rating.timeline_note()),
        };
        Ok(RatingChange {
            case_id: case.id,
            expected_status: status,
            expected_version: case.version,
            rating,
            event,
            reopening,
            reopen,
        })
    }

    /// What following the published case `code` from `destination` (a Telegram chat or an
    /// email address) writes, for a transport that stores it with the inbound message it came
    /// in. Following a case one already follows plans nothing new
    /// ([`FollowChange::already_following`]).
    pub async fn plan_follow(
        &self,
        destination: &NormalisedContact,
        code: &CaseCode,
    ) -> Result<FollowChange, Error> {
        check_follow_contact(destination)?;
        let case = match self.store().get_case_by_code(code).await {
            Ok(case) if is_public(&case) => case,
            Ok(_) | Err(Error::NotFound(_)) => return Err(no_public_case(code)),
            Err(e) => return Err(e),
        };
        let already_following = self
            .store()
            .list_followed(destination)
            .await?
            .iter()
            .any(|f| f.case_id == case.id);
        Ok(FollowChange {
            case_id: case.id,
            code: case.code,
            contact: destination.clone(),
            already_following,
            unsubscribe_token: AccessToken::generate().expose().to_owned(),
        })
    }

    /// Follows the published case `code` from `destination`, now; `false` if it already did.
    pub async fn follow(
        &self,
        destination: &NormalisedContact,
        code: &CaseCode,
    ) -> Result<bool, Error> {
        let change = self.plan_follow(destination, code).await?;
        let added = self.store().add_follow(&change).await?;
        if !added && !change.already_following {
            // Unpublished between the plan and the write.
            return Err(no_public_case(code));
        }
        tracing::info!(
            case.id = change.case_id.0,
            case.code = %change.code,
            contact.kind = %destination.kind(),
            "case {} followed from a {} contact",
            change.code,
            destination.kind()
        );
        Ok(added)
    }

    /// What no longer following `code` (or, with `None`, every case) from `destination`
    /// writes, for a transport that stores it with the inbound message it came in.
    /// [`UnfollowChange::following`] says how many follows it ends, for the reply; a case
    /// the contact does not follow ends none and is no error. Any case may be unfollowed,
    /// published or not any more.
    pub async fn plan_unfollow(
        &self,
        destination: &NormalisedContact,
        code: Option<&CaseCode>,
    ) -> Result<UnfollowChange, Error> {
        check_follow_contact(destination)?;
        let followed = self.store().list_followed(destination).await?;
        let Some(code) = code else {
            return Ok(UnfollowChange {
                contact: destination.clone(),
                case: None,
                following: followed.len(),
            });
        };
        let case = match followed.iter().find(|f| &f.code == code) {
            Some(f) => (f.case_id, f.code.clone()),
            None => match self.store().get_case_by_code(code).await {
                Ok(case) => (case.id, case.code),
                Err(Error::NotFound(_)) => return Err(no_public_case(code)),
                Err(e) => return Err(e),
            },
        };
        let following = usize::from(followed.iter().any(|f| f.case_id == case.0));
        Ok(UnfollowChange {
            contact: destination.clone(),
            case: Some(case),
            following,
        })
    }

    /// Stops following `code` (or, with `None`, every case) from `destination`, now; returns
    /// how many follows ended.
    pub async fn unfollow(
        &self,
        destination: &NormalisedContact,
        code: Option<&CaseCode>,
    ) -> Result<u64, Error> {
        let change = self.plan_unfollow(destination, code).await?;
        let removed = self.store().remove_follows(&change).await?;
        tracing::info!(
            contact.kind = %destination.kind(),
            follows.removed = removed,
            "{removed} follows ended from a {} contact",
            destination.kind()
        );
        Ok(removed)
    }

    /// The cases `destination` follows, oldest follow first (for a "what do I follow" reply).
    pub async fn followed_cases(
        &self,
        destination: &NormalisedContact,
    ) -> Result<Vec<Followed>, Error> {
        check_follow_contact(destination)?;
        self.store().list_followed(destination).await
    }

    /// What a follow's unsubscribe token names, for the confirmation page.
    pub(crate) async fn follow_unsubscribe_target(
        &self,
        token: &str,
    ) -> Result<Option<FollowToken>, Error> {
        self.store().follow_token(token).await
    }

    /// Ends the follow an unsubscribe token names.
    pub(crate) async fn follow_unsubscribe(
        &self,
        token: &str,
    ) -> Result<Option<FollowToken>, Error> {
        let ended = self.store().unfollow_by_token(token).await?;
        if let Some(follow) = &ended {
            tracing::info!(
                case.id = follow.case_id.0,
                follow.id = follow.follow_id,
                "follow {} of case {} ended by its unsubscribe link",
                follow.follow_id,
                follow.case_id
            );
        }
        Ok(ended)
    }
}
