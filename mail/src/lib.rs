//! hdnd's email gateway: inbound mail read ([`parse`](mod@parse)), its reply separated from
//! the quoted history ([`quote`]), what it names and asks ([`route`]), and mail delivered by
//! SMTP stored ([`listener`]), mail read from the council's mailbox over IMAP stored
//! ([`imap`]); the hub's routing builds on them.
//! Like the bot, a transport: it depends on the hub, and the hub knows nothing of it.

pub mod handler;
pub mod imap;
mod intake;
pub mod listener;
pub mod parse;
pub mod quote;
mod reply;
pub mod report;
pub mod route;
pub mod staff;

pub use handler::MailHandler;
pub use parse::{Automatic, MailAttachment, ParsedMail, Unreadable, parse};
