//! The citizens aggregate: who filed cases, the ways to reach them and whether those work.

use async_trait::async_trait;

use crate::domain::{
    Case, Citizen, CitizenContact, CitizenId, ContactState, Language, NormalisedContact,
};
use crate::error::Error;

/// Citizens and their contact points. A citizen is made, or found by a contact point, when a
/// case is stored; a denunciation never links to one.
#[async_trait]
pub trait CitizenStore: Send + Sync {
    async fn get_citizen(&self, id: CitizenId) -> Result<Citizen, Error>;
    /// The citizen a contact point belongs to, with its state.
    async fn find_citizen_contact(
        &self,
        contact: &NormalisedContact,
    ) -> Result<Option<CitizenContact>, Error>;
    async fn list_citizen_contacts(&self, citizen: CitizenId)
    -> Result<Vec<CitizenContact>, Error>;
    /// Changes the language every later message to the citizen is written in.
    async fn set_citizen_language(
        &self,
        citizen: CitizenId,
        language: Language,
    ) -> Result<(), Error>;
    /// Records that a contact point was verified or found unreachable; `false` if no citizen
    /// has it.
    async fn set_contact_state(
        &self,
        contact: &NormalisedContact,
        state: &ContactState,
    ) -> Result<bool, Error>;
    /// "My cases", newest first: the cases of the citizen who owns `contact`, and the
    /// denunciations whose sealed identity holds `denouncer_hash` (the keyed hash of the same
    /// contact). No other query finds a denunciation by its denouncer.
    async fn list_my_cases(
        &self,
        contact: &NormalisedContact,
        denouncer_hash: &str,
    ) -> Result<Vec<Case>, Error>;
}
