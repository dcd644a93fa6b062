//! The domain: validated values and the rules between them. No I/O here.

pub mod audit;
pub mod calendar;
pub mod case;
pub mod chat;
pub mod citizen;
pub mod deadline;
pub mod feedback;
pub mod identity;
pub mod inbound;
pub mod lease;
pub mod mail_address;
pub mod message;
pub mod policy;
pub mod profile;
pub mod progress;
pub mod staff;
pub mod staff_button;
pub mod staff_link;
pub mod timeline;
pub mod token;
pub mod work;
pub mod workflow;

pub use audit::{AuditEntry, AuditNote};
pub use calendar::{DayCount, WorkCalendar, YearCalendar};
pub use case::{
    Attachment, Case, CaseCode, CaseFlags, CaseId, CaseKind, CaseProgress, ComplaintRound,
    ContactKind, ContactPoint, FileId, NewCase, Publication, SourceChannel,
};
pub use chat::{ChatChange, ChatState, Window};
pub use citizen::{
    Citizen, CitizenContact, CitizenId, ContactKey, ContactState, NewCitizen, NormalisedContact,
    contact_hash,
};
pub use deadline::{Clock, ClockKind, Clocks};
pub use feedback::{
    FeedbackPolicy, Followed, Follower, NewRating, Rating, RatingInput, Reopening, Score,
};
pub use identity::{DenouncerIdentity, IdentityAccess};
pub use inbound::{
    ExternalKey, InboundFailure, InboundRow, InboundSource, InboundStatus, NewInbound, Received,
};
pub use lease::Lease;
pub use mail_address::{MailKey, Signed};
pub use message::{Addressee, Audience, Message, MessageId, ReadToken, ReadVia, Receipt};
pub use policy::{Action, CaseContext};
pub use profile::{CouncilLevel, CouncilProfile, ProfileError};
pub use progress::{CaseBasics, TransitionRequest};
pub use staff::{Language, NewStaff, Role, Staff, StaffId};
pub use staff_button::{ButtonKey, ButtonTarget, StaffAction, StaffButton};
pub use staff_link::StaffLinkToken;
pub use timeline::{Actor, EventKind, NewEvent, TimelineEvent};
pub use token::AccessToken;
pub use work::{
    CalendarEvent, CalendarKind, NewCalendarEvent, NewTask, QuietHours, Task, TaskStatus,
};
pub use workflow::{ActorKind, Bucket, Status};
