//! Handlers, one module per resource.

pub(crate) mod about;
pub(crate) mod assets;
pub(crate) mod calendar;
pub(crate) mod cases;
pub(crate) mod feeds;
pub(crate) mod health;
pub(crate) mod home;
pub(crate) mod messages;
pub(crate) mod open311;
pub(crate) mod private;
pub(crate) mod statistics;
pub(crate) mod telegram;
pub(crate) mod unsubscribe;
pub(crate) mod withdraw;
