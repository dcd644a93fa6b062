//! The files aggregate: one `files` row per upload, pointing by hash at bytes in the file
//! store ([`crate::files::BlobStore`]). The same bytes uploaded twice are two rows and one blob,
//! so `hash` is not unique; a row is attached to at most one case (`case_attachments.file_id`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{CaseId, FileId, StaffId};
use crate::error::Error;
use crate::files::{AcceptedFile, FileHash, SniffedType};

/// An accepted upload to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// What [`crate::files::FilePolicy::accept`] found: hash, size, sniffed type, clean name.
    pub file: AcceptedFile,
    /// As secret as a denunciation: read only by `giai_quyet_to_cao`, and every read audited.
    pub sealed: bool,
}

/// A stored upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRecord {
    pub id: FileId,
    /// The key of its bytes in the file store.
    pub hash: FileHash,
    /// Size in bytes.
    pub size: i64,
    /// Sniffed from the bytes, never the sender's word.
    pub content_type: SniffedType,
    /// The sender's name, cleaned.
    pub name: String,
    pub sealed: bool,
    pub created_at: DateTime<Utc>,
    /// The case it is attached to; `None` while the upload waits for its case (or was
    /// abandoned, which the orphan sweep finds).
    pub case: Option<CaseId>,
}

/// The `files` table.
#[async_trait]
pub trait FileStore: Send + Sync {
    /// Records an upload whose bytes are already in the file store.
    async fn add_file(&self, file: NewFile) -> Result<FileRecord, Error>;

    /// The upload with this id, or [`Error::NotFound`].
    async fn get_file(&self, id: FileId) -> Result<FileRecord, Error>;

    /// Uploads attached to no case and created before `older_than`: dialogues abandoned before
    /// their case was filed. Oldest first.
    async fn list_unreferenced_files(
        &self,
        older_than: DateTime<Utc>,
    ) -> Result<Vec<FileRecord>, Error>;

    /// Deletes the row if it is still attached to no case; true if it was deleted. The bytes
    /// stay in the file store: whether another row still needs them is
    /// [`FileStore::is_hash_referenced`]'s question.
    async fn delete_file(&self, id: FileId) -> Result<bool, Error>;

    /// Whether any `files` row still has this hash.
    async fn is_hash_referenced(&self, hash: &FileHash) -> Result<bool, Error>;

    /// Writes the audit row of `staff` reading a sealed file of `case`.
    async fn audit_sealed_file_read(
        &self,
        staff: StaffId,
        case: CaseId,
        file: FileId,
    ) -> Result<(), Error>;
}
