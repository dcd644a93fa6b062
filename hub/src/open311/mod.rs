//! Open311 GeoReport v2, as hub services: the council's categories as Open311 services, their
//! definitions, the API clients and their keys, filing a case as a client, and the published
//! cases as Open311 requests. The HTTP transport (`hdnd-web`) only parses and formats.
//!
//! The services are `realtime`: a request gets its case code at once, so no tokens are issued.
//! Denunciations (tố cáo) are never offered, accepted or listed: the law seals a denouncer's
//! identity, which an API client cannot promise to keep. What a request shows is the catalog's
//! public copy (the staff-written summary, never the citizen's text), read by
//! [`Open311Store::list_open311_cases`](crate::storage::Open311Store::list_open311_cases), whose
//! own SQL selects published non-denunciations only.

mod intake;
mod key;
mod requests;
mod services;

use crate::access::Caller;
use crate::domain::policy::Action;
use crate::error::Error;
use crate::hub::Hub;
use crate::storage::Open311Client;

pub use intake::{MAX_DESCRIPTION_CHARS, Open311Submission};
pub use key::Open311Key;
pub use requests::{MAX_PAGE_SIZE, MAX_WINDOW, Open311Request, RequestQuery, RequestStatus};
pub use services::{Attribute, AttributeValue, Datatype, Open311Service, ServiceDefinition};

/// How many cases one client may file in an hour, so that a leaked or buggy client cannot bury
/// intake.
pub const HOURLY_QUOTA: i64 = 100;

/// Why an Open311 call is refused, with the sentence to tell the client (Vietnamese first,
/// English in brackets). The transport maps each to the HTTP status GeoReport v2 prescribes.
#[derive(Debug, thiserror::Error)]
pub enum Open311Error {
    /// No such service, request or token (404).
    #[error("{0}")]
    NotFound(String),
    /// The API key is missing, unknown, revoked or over its quota (403).
    #[error("{0}")]
    Forbidden(String),
    /// A parameter is missing or malformed (400).
    #[error("{0}")]
    Invalid(String),
    /// Something failed on our side (400 with code 500, as the specification allows).
    #[error(transparent)]
    Hub(#[from] Error),
}

impl Open311Error {
    fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}

/// The Open311 service of a hub; get it from [`Hub::open311`].
#[derive(Debug, Clone, Copy)]
pub struct Open311<'h> {
    hub: &'h Hub,
}

impl Hub {
    /// The Open311 GeoReport v2 service.
    pub fn open311(&self) -> Open311<'_> {
        Open311 { hub: self }
    }
}

impl Open311<'_> {
    /// A sortable timestamp of the last change of the service list: when this hub was made,
    /// since the list comes from the council profile, which changes only with a restart.
    pub fn changeset(&self) -> chrono::DateTime<chrono_tz::Tz> {
        self.hub
            .started_at
            .with_timezone(&self.hub.profile().time_zone)
    }

    /// Issues a new API key for the client `name` (`manage_staff`: an administrator, or the
    /// operator at the command line), replacing its earlier key if it had one. The key is
    /// returned once; only its hash is stored.
    pub async fn issue_key(&self, caller: Caller, name: &str) -> Result<Open311Key, Error> {
        self.hub.allow(caller, Action::ManageStaff).await?;
        let name = key::client_name(name)?;
        let key = Open311Key::generate();
        let (client, replaced) = self
            .hub
            .store()
            .put_open311_key(&name, &key.hash(), &caller.audit())
            .await?;
        tracing::info!(
            open311.client = client.id.0,
            replaced,
            "an Open311 key was issued for client {}",
            client.id
        );
        Ok(key)
    }

    /// Revokes the key of the client `name`; `NotFound` unless it has a valid one.
    pub async fn revoke_key(&self, caller: Caller, name: &str) -> Result<(), Error> {
        self.hub.allow(caller, Action::ManageStaff).await?;
        let name = key::client_name(name)?;
        self.hub
            .store()
            .revoke_open311_key(&name, &caller.audit())
            .await?;
        tracing::info!("an Open311 client's key was revoked");
        Ok(())
    }

    /// The client a presented key belongs to; `Forbidden` when it is missing, unknown or
    /// revoked, with one refusal for all three.
    pub async fn client(&self, presented: Option<&str>) -> Result<Open311Client, Open311Error> {
        let refused = || {
            Open311Error::Forbidden(
                "api_key thiếu, không đúng hoặc đã bị thu hồi (the api_key is missing, wrong \
                 or revoked)"
                    .to_owned(),
            )
        };
        let hash = presented
            .and_then(key::presented_hash)
            .ok_or_else(refused)?;
        self.hub
            .store()
            .get_open311_client(&hash)
            .await?
            .ok_or_else(refused)
    }
}
