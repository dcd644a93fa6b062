//! The hub's file services: uploading a file, attaching uploads to a new case or to an open one
//! (with a note, as added information), reading a case's file back, and the orphan sweep.
//!
//! An upload is accepted by [`FilePolicy`] (type sniffed from the bytes, limits), its bytes go to
//! the [`BlobStore`] under their hash, and a `files` row records it; the case refers to the row.
//! Files are never public: only staff read them, a denunciation's (and any sealed) file only
//! `giai_quyet_to_cao`, and every read of a sealed file is audited.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::access::CitizenCapability;
use crate::delivery::notify::CaseEvent;
use crate::domain::case::{MAX_CONTENT_CHARS, clean_text};
use crate::domain::policy::{self, Action, CaseContext};
use crate::domain::{
    Actor, Attachment, Case, CaseId, CaseKind, EventKind, FileId, NewCase, NewEvent, Role, StaffId,
};
use crate::error::{DomainError, Error};
use crate::files::{BlobStore, CaseUsage, FileError, FileHash, FilePolicy};
use crate::hub::Hub;
use crate::storage::{FileRecord, InformationChange, NewFile, Store};

/// The file store of a hub and the limits of what it accepts.
#[derive(Debug, Clone)]
pub(crate) struct HubFiles {
    blobs: Arc<dyn BlobStore>,
    policy: FilePolicy,
}

/// What one orphan sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// `files` rows of abandoned uploads deleted.
    pub rows: u64,
    /// Blobs deleted because no row needed them any more.
    pub blobs: u64,
}

impl Hub {
    /// The same hub, storing uploads in `blobs` and accepting them under `policy`. Without it,
    /// [`Hub::upload_file`] and [`Hub::read_attachment`] fail with [`FileError::Unavailable`].
    pub fn with_files(mut self, blobs: Arc<dyn BlobStore>, policy: FilePolicy) -> Self {
        self.files = Some(HubFiles { blobs, policy });
        self
    }

    /// The file store, if this hub has one.
    pub fn blob_store(&self) -> Option<&Arc<dyn BlobStore>> {
        self.files.as_ref().map(|f| &f.blobs)
    }

    fn hub_files(&self) -> Result<&HubFiles, Error> {
        self.files
            .as_ref()
            .ok_or(Error::File(FileError::Unavailable))
    }

    /// The limits an upload must keep, to state them before a person sends a file.
    pub fn file_limits(&self) -> crate::files::FileLimits {
        self.file_policy().limits()
    }

    /// Whether this hub can take uploads at all.
    pub fn accepts_files(&self) -> bool {
        self.files.is_some()
    }

    /// The limits in force: the configured ones, or the defaults on a hub without files (a
    /// case may still name uploads another process stored).
    fn file_policy(&self) -> FilePolicy {
        self.files.as_ref().map(|f| f.policy).unwrap_or_default()
    }

    /// Accepts and stores an upload, for a new case (`on_case` `None`: its dialogue attaches
    /// it when the case is filed) or for an open case (counted against the case's limits; then
    /// [`Hub::add_information`] attaches it). A refused file is [`Error::File`] with
    /// [`FileError::is_refusal`], and nothing is written. A denunciation's uploads are sealed.
    pub async fn upload_file(
        &self,
        name: &str,
        bytes: &[u8],
        sealed: bool,
        on_case: Option<CaseId>,
    ) -> Result<FileRecord, Error> {
        let files = self.hub_files()?;
        let (usage, sealed) = match on_case {
            Some(id) => {
                let case = self.store().get_case(id).await?;
                ensure_open(&case)?;
                (usage_of(&case), sealed || case.kind == CaseKind::ToCao)
            }
            None => (CaseUsage::default(), sealed),
        };
        let accepted = files.policy.accept(name, bytes, usage)?;
        let hash = accepted.hash.clone();
        let stored = files.blobs.put(bytes).await?;
        let record = match self
            .store()
            .add_file(NewFile {
                file: accepted,
                sealed,
            })
            .await
        {
            Ok(record) => record,
            Err(e) => {
                // No row will ever point at bytes this upload alone brought: take them back.
                // A failure here leaves only an unreferenced blob; the caller hears the first.
                let unreferenced = stored.newly_stored
                    && matches!(self.store().is_hash_referenced(&hash).await, Ok(false));
                if unreferenced && let Err(cleanup) = files.blobs.delete(&hash).await {
                    tracing::warn!(
                        error.message = %cleanup,
                        "blob {hash} of a failed upload kept"
                    );
                }
                return Err(e);
            }
        };
        // An orphan sweep may have deleted the same bytes, found unreferenced, between the put
        // and the row's commit; now that the row exists no sweep deletes them, so restore them.
        if !files.blobs.exists(&hash).await? {
            files.blobs.put(bytes).await?;
        }
        tracing::info!(
            file.id = record.id.0,
            file.size = record.size,
            file.sealed = record.sealed,
            file.new_blob = stored.newly_stored,
            "file {} uploaded",
            record.id
        );
        Ok(record)
    }

    /// A new case's attachments as stored: each upload named by `file_id` must exist and be
    /// attached to no other case, and its stored facts replace what the caller sent; together
    /// they must fit the per-case limits.
    pub(crate) async fn resolve_attachments(&self, mut case: NewCase) -> Result<NewCase, Error> {
        if case.attachments.is_empty() {
            return Ok(case);
        }
        let mut seen = HashSet::new();
        for attachment in &mut case.attachments {
            if let Some(id) = attachment.file_id {
                if !seen.insert(id) {
                    return Err(DomainError::invalid(
                        "attachments",
                        format!("file {id} is named twice"),
                    )
                    .into());
                }
                *attachment = attachment_of(&self.unattached_file(id).await?);
            }
        }
        let sizes = case.attachments.iter().map(|a| size_of(a.size_bytes));
        self.file_policy().admit(CaseUsage::default(), sizes)?;
        Ok(case)
    }

    /// Adds information to an open case: a note, uploaded files, or both. In one transaction
    /// the files are appended to the case's own (within the per-case limits), the timeline gets
    /// an `information_added` event holding the text, the version moves, and the assignee is
    /// notified (unless they added it). A staff actor needs `add_information` on the case.
    pub async fn add_information(
        &self,
        case_id: CaseId,
        actor: Actor,
        text: Option<String>,
        files: Vec<FileId>,
    ) -> Result<Case, Error> {
        self.record_information(case_id, actor, text, files, false)
            .await
    }

    /// [`Hub::add_information`] by the citizen who holds `capability`.
    pub async fn add_information_as_citizen(
        &self,
        capability: &CitizenCapability,
        text: Option<String>,
        files: Vec<FileId>,
    ) -> Result<Case, Error> {
        self.record_information(capability.case(), Actor::Citizen, text, files, true)
            .await
    }

    /// [`Hub::add_information_as_citizen`] checked and planned but not applied: the text or
    /// files a citizen sends from a chat, applied with the message's `done`.
    pub async fn plan_information_as_citizen(
        &self,
        capability: &CitizenCapability,
        text: Option<String>,
        files: Vec<FileId>,
    ) -> Result<InformationChange, Error> {
        self.plan_information(capability.case(), Actor::Citizen, text, files, true)
            .await
    }

    async fn record_information(
        &self,
        case_id: CaseId,
        actor: Actor,
        text: Option<String>,
        files: Vec<FileId>,
        citizen_checked: bool,
    ) -> Result<Case, Error> {
        let change = self
            .plan_information(case_id, actor, text, files, citizen_checked)
            .await?;
        let added = change.attachments.len();
        let updated = self.store().add_case_information(change).await?;
        tracing::info!(
            case.id = case_id.0,
            case.code = %updated.code,
            case.files_added = added,
            "information added to case {} by {actor}",
            updated.code
        );
        Ok(updated)
    }

    async fn plan_information(
        &self,
        case_id: CaseId,
        actor: Actor,
        text: Option<String>,
        files: Vec<FileId>,
        citizen_checked: bool,
    ) -> Result<InformationChange, Error> {
        let text = text
            .map(|t| clean_text("text", &t, MAX_CONTENT_CHARS, false))
            .transpose()?
            .filter(|t| !t.is_empty());
        if text.is_none() && files.is_empty() {
            return Err(DomainError::invalid("information", "add a text or a file").into());
        }
        let case = self.store().get_case(case_id).await?;
        match actor {
            Actor::Staff(id) => {
                let staff = self.store().get_staff(id).await?;
                let context = self.case_context(&case).await?;
                policy::check(&staff, Action::AddInformation, Some(&context))?;
            }
            // A citizen comes through `add_information_as_citizen`, with a capability.
            Actor::Citizen if !citizen_checked => {
                return Err(DomainError::Forbidden(
                    "a citizen adds to a case only with a capability".to_owned(),
                )
                .into());
            }
            Actor::Citizen => {}
        }
        ensure_open(&case)?;
        let mut attachments = Vec::with_capacity(files.len());
        for id in files {
            if attachments
                .iter()
                .any(|a: &Attachment| a.file_id == Some(id))
            {
                return Err(
                    DomainError::invalid("files", format!("file {id} is named twice")).into(),
                );
            }
            attachments.push(attachment_of(&self.unattached_file(id).await?));
        }
        let sizes = attachments.iter().map(|a| size_of(a.size_bytes));
        self.file_policy().admit(usage_of(&case), sizes)?;
        let notify = self
            .notify(
                CaseEvent::InformationAdded { by: actor },
                case.progress.assignee,
            )
            .await?;
        Ok(InformationChange {
            case_id,
            expected_status: case.progress.status,
            expected_version: case.version,
            attachments,
            event: NewEvent {
                kind: EventKind::InformationAdded,
                actor,
                from: None,
                to: None,
                note: text,
            },
            notify,
        })
    }

    /// A file of a case, for a staff member who may read the case's attachments; a
    /// denunciation's file, and any sealed file, only for `giai_quyet_to_cao`, and that read is
    /// audited. A file that is not the case's is [`Error::NotFound`].
    pub async fn read_attachment(
        &self,
        staff: StaffId,
        case: CaseId,
        file: FileId,
    ) -> Result<(FileRecord, Vec<u8>), Error> {
        let staff = self.store().get_staff(staff).await?;
        let case = self.store().get_case(case).await?;
        policy::check(
            &staff,
            Action::ReadAttachments,
            Some(&CaseContext::new(case.kind)),
        )?;
        if !case.attachments.iter().any(|a| a.file_id == Some(file)) {
            return Err(Error::NotFound("file"));
        }
        let record = self.store().get_file(file).await?;
        let secret = record.sealed || case.kind == CaseKind::ToCao;
        if secret && !staff.has_role(Role::DenunciationOfficer) {
            return Err(DomainError::Forbidden(format!(
                "file {file} is sealed; only {} may read it",
                Role::DenunciationOfficer
            ))
            .into());
        }
        let bytes = self.hub_files()?.blobs.get(&record.hash).await?;
        if FileHash::of(&bytes) != record.hash {
            return Err(Error::Corrupt(format!(
                "the stored bytes of file {file} do not match its hash"
            )));
        }
        if secret {
            // Audited before the bytes leave the hub: no audit row, no file.
            self.store()
                .audit_sealed_file_read(staff.id, case.id, file)
                .await?;
        }
        tracing::info!(
            case.id = case.id.0,
            file.id = file.0,
            staff.id = staff.id.0,
            file.sealed = secret,
            "file {file} of case {} read by staff {}",
            case.id,
            staff.id
        );
        Ok((record, bytes))
    }

    /// An upload that exists and is attached to no case yet.
    async fn unattached_file(&self, id: FileId) -> Result<FileRecord, Error> {
        let record = self.store().get_file(id).await.map_err(|e| match e {
            Error::NotFound(_) => {
                DomainError::invalid("files", format!("no uploaded file has the id {id}")).into()
            }
            other => other,
        })?;
        if record.case.is_some() {
            return Err(DomainError::invalid(
                "files",
                format!("file {id} is already attached to a case"),
            )
            .into());
        }
        Ok(record)
    }
}

/// Deletes the uploads attached to no case and created before `older_than`, then each of their
/// blobs that no row needs any more.
///
/// An upload of the same bytes may find the blob just before it goes (its `put` keeps the
/// existing copy) and add its row just after the check. So the sweep holds the bytes while it
/// deletes them and checks again afterwards, putting them back if a row appeared; and
/// [`Hub::upload_file`] checks the blob exists once its row is committed. Between the two, no
/// row is left without its bytes.
pub async fn sweep_orphan_files(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    older_than: DateTime<Utc>,
) -> Result<SweepReport, Error> {
    let mut report = SweepReport::default();
    let mut hashes = BTreeSet::new();
    for file in store.list_unreferenced_files(older_than).await? {
        if store.delete_file(file.id).await? {
            report.rows += 1;
            hashes.insert(file.hash);
        }
    }
    for hash in hashes {
        if store.is_hash_referenced(&hash).await? {
            continue;
        }
        let bytes = match blobs.get(&hash).await {
            Ok(bytes) => bytes,
            Err(FileError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        };
        if !blobs.delete(&hash).await? {
            continue;
        }
        if store.is_hash_referenced(&hash).await? {
            blobs.put(&bytes).await?;
            tracing::info!(
                file.hash = %hash,
                "blob {hash} was uploaded again during the sweep; kept"
            );
        } else {
            report.blobs += 1;
        }
    }
    Ok(report)
}

/// Only an open case takes information or files.
fn ensure_open(case: &Case) -> Result<(), DomainError> {
    if case.progress.status.is_open() {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "case",
            format!(
                "case {} is closed (`{}`); information can be added to an open case only",
                case.code, case.progress.status
            ),
        ))
    }
}

/// What a case's files already take.
fn usage_of(case: &Case) -> CaseUsage {
    CaseUsage {
        files: u32::try_from(case.attachments.len()).unwrap_or(u32::MAX),
        bytes: case.attachments.iter().map(|a| size_of(a.size_bytes)).sum(),
    }
}

fn size_of(size_bytes: i64) -> u64 {
    u64::try_from(size_bytes).unwrap_or(0)
}

/// The attachment an upload becomes, from its stored row.
fn attachment_of(file: &FileRecord) -> Attachment {
    Attachment {
        file_name: file.name.clone(),
        content_type: file.content_type.mime().to_owned(),
        size_bytes: file.size,
        sha256: file.hash.as_str().to_owned(),
        file_id: Some(file.id),
    }
}
