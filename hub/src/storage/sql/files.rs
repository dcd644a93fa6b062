//! The SQL of [`FileStore`], compiled once per backend.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::audit::insert_audit;
use super::{DbRow, This};
use crate::domain::audit::READ_SEALED_FILE;
use crate::domain::{CaseId, FileId, StaffId};
use crate::error::Error;
use crate::files::{FileHash, SniffedType};
use crate::storage::{DbTime, FileRecord, FileStore, NewFile, corrupt};

/// The columns `file_from_row` reads, with the case the file is attached to.
macro_rules! file_select {
    () => {
        r#"
        SELECT id, hash, size_bytes, content_type, name, sealed, created_at,
               (SELECT case_id FROM case_attachments WHERE file_id = files.id) AS case_id
        FROM files
        "#
    };
}

fn file_from_row(row: &DbRow) -> Result<FileRecord, Error> {
    let hash: String = row.try_get("hash")?;
    let mime: String = row.try_get("content_type")?;
    Ok(FileRecord {
        id: FileId(row.try_get("id")?),
        hash: FileHash::parse(&hash).map_err(|e| corrupt(format!("files.hash: {e}")))?,
        size: row.try_get("size_bytes")?,
        content_type: SniffedType::from_mime(&mime)
            .ok_or_else(|| corrupt(format!("files.content_type: `{mime}` is not accepted")))?,
        name: row.try_get("name")?,
        sealed: row.try_get("sealed")?,
        created_at: row.try_get::<DbTime, _>("created_at")?.0,
        case: row.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
    })
}

#[async_trait]
impl FileStore for This {
    async fn add_file(&self, new: NewFile) -> Result<FileRecord, Error> {
        let now = DbTime(self.clock.now());
        let file = &new.file;
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query(
            r#"
            INSERT INTO files (hash, size_bytes, content_type, name, sealed, created_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            RETURNING id
            "#,
        )
        .bind(file.hash.as_str())
        .bind(file.size)
        .bind(file.content_type.mime())
        .bind(file.name.as_str())
        .bind(new.sealed)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        Ok(FileRecord {
            id: FileId(id),
            hash: file.hash.clone(),
            size: file.size,
            content_type: file.content_type,
            name: file.name.clone(),
            sealed: new.sealed,
            created_at: now.0,
            case: None,
        })
    }

    async fn get_file(&self, id: FileId) -> Result<FileRecord, Error> {
        let row = sqlx::query(concat!(file_select!(), "WHERE id = $1"))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::NotFound("file"))?;
        file_from_row(&row)
    }

    async fn list_unreferenced_files(
        &self,
        older_than: DateTime<Utc>,
    ) -> Result<Vec<FileRecord>, Error> {
        sqlx::query(concat!(
            file_select!(),
            r#"
            WHERE created_at < $1
              AND NOT EXISTS (SELECT 1 FROM case_attachments WHERE file_id = files.id)
            ORDER BY created_at, id
            "#
        ))
        .bind(DbTime(older_than))
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(file_from_row)
        .collect()
    }

    async fn delete_file(&self, id: FileId) -> Result<bool, Error> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query(
            r#"
            DELETE FROM files
            WHERE id = $1
              AND NOT EXISTS (SELECT 1 FROM case_attachments WHERE file_id = $1)
            "#,
        )
        .bind(id.0)
        .execute(&mut *tx)
        .await;
        let deleted = match deleted {
            Ok(done) => done.rows_affected() > 0,
            // On PostgreSQL a case may attach the file between the check above and the delete;
            // the foreign key then refuses the delete, and the file stays, as it should.
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => return Ok(false),
            Err(other) => return Err(other.into()),
        };
        tx.commit().await?;
        Ok(deleted)
    }

    async fn is_hash_referenced(&self, hash: &FileHash) -> Result<bool, Error> {
        let row = sqlx::query(
            r#"
            SELECT 1 AS one
            FROM files
            WHERE hash = $1
            LIMIT 1
            "#,
        )
        .bind(hash.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    async fn audit_sealed_file_read(
        &self,
        staff: StaffId,
        case: CaseId,
        file: FileId,
    ) -> Result<(), Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        insert_audit(
            &mut tx,
            now,
            Some(staff),
            READ_SEALED_FILE,
            &format!("file:{}", file.0),
            Some(&format!("case:{}", case.0)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
