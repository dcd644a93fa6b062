//! Errors of the domain layer: what a caller did that the rules do not allow.

use crate::domain::{ActorKind, Status};
use crate::files::FileError;

/// A request broke a rule of the domain. Every variant names what was wrong, so that the
/// transport (bot, web, CLI) can tell the person in their language.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DomainError {
    /// The workflow table has no edge `from -> to` for this actor.
    #[error("illegal transition from `{from}` to `{to}` by {actor}")]
    IllegalTransition {
        from: Status,
        to: Status,
        actor: ActorKind,
    },
    /// A field is missing or malformed.
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The actor lacks the role this action needs.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A working-day count reached a year the council profile has no calendar for.
    #[error("no working-day calendar is configured for {0}; add it to the council profile")]
    YearNotConfigured(i32),
}

impl DomainError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// Everything a hub operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request broke a domain rule.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The thing asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Somebody else changed the same thing first, or a unique value is taken.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database failed.
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// Migrations could not be applied.
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A notification template failed to render.
    #[error("template error: {0}")]
    Template(String),
    /// A stored value does not parse: the database was edited by hand or by a newer hdnd.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    /// A file was refused ([`FileError::is_refusal`]: the sender must change it) or the file
    /// store failed. [`FileError::message`] is the sentence to tell the sender, in Vietnamese
    /// or English.
    #[error(transparent)]
    File(#[from] FileError),
    /// Recording delivery outcomes failed; the writer that ran the transaction has the cause
    /// (the outcomes it carried for other sends share the message).
    #[error("cannot record delivery outcomes: {0}")]
    Recording(String),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => Error::NotFound("row"),
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Conflict(db.constraint().unwrap_or("unique value").to_owned())
            }
            other => Error::Database(other),
        }
    }
}
