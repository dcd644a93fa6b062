//! The SQL of [`CaseStore`], compiled once per backend.

use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::Row;

use super::audit::{insert_audit, write_audit};
use super::citizens::link_citizen;
use super::common::{contact_from_row, count, insert_contacts, parse, parse_opt};
use super::outbox::insert_notifications;
use super::{DbConnection, DbRow, This};
use crate::domain::audit::{PUBLISH_CASE, READ_DENOUNCER_IDENTITY};
use crate::domain::{
    AccessToken, Actor, ActorKind, Attachment, AuditNote, Case, CaseCode, CaseFlags, CaseId,
    CaseProgress, CitizenId, Clock, Clocks, ContactKind, ContactPoint, DenouncerIdentity,
    EventKind, FileId, IdentityAccess, NewEvent, Publication, StaffId, Status, TimelineEvent,
};
use crate::error::Error;
use crate::storage::{
    CaseFilter, CaseRecord, CaseStore, CreatedCase, DbTime, InformationChange, Notify,
    ProgressChange, PublicationChange, corrupt,
};

/// The columns `case_from_row` reads.
macro_rules! case_select {
    () => {
        r#"
        SELECT id, code, kind, complaint_round, first_case_id, title, content, area, category,
               channel, citizen_name, citizen_address, citizen_id_number, publication_consent,
               published, complex,
               remote_area,
               received_at, received_on, status, accepted_on, forwarded_on, forwarded_unit,
               unit_accepted_on, result_on, assignee_id, answer, closed_on, competent,
               especially_complex, regulation, flags_reason, resume_status, council_paused_on,
               council_paused_days, suspended_on, suspended_days, council_due, council_source,
               statutory_due, statutory_source, relay_due, relay_source,
               extensions, version, updated_at, source_ref, public_title,
               public_summary, published_at, citizen_id,
               COALESCE(
                   (SELECT language FROM citizens WHERE citizens.id = cases.citizen_id),
                   language) AS reader_language
        FROM cases
        "#
    };
}

/// The WHERE clause of [`CaseFilter`], binding kind, status, published and exclude_to_cao
/// as `$1`–`$4`.
macro_rules! case_filter {
    () => {
        r#"
        WHERE ($1 IS NULL OR kind = $1)
          AND ($2 IS NULL OR status = $2)
          AND ($3 IS NULL OR published = $3)
          AND ($4 = FALSE OR kind <> 'to_cao')
        "#
    };
}

fn case_from_row(
    row: &DbRow,
    contacts: Vec<ContactPoint>,
    attachments: Vec<Attachment>,
) -> Result<Case, Error> {
    Ok(Case {
        id: CaseId(row.try_get("id")?),
        code: CaseCode::from_stored(row.try_get("code")?),
        kind: parse(row, "kind")?,
        complaint_round: parse_opt(row, "complaint_round")?,
        first_case_id: row.try_get::<Option<i64>, _>("first_case_id")?.map(CaseId),
        title: row.try_get("title")?,
        content: row.try_get("content")?,
        area: row.try_get("area")?,
        category: row.try_get("category")?,
        channel: parse(row, "channel")?,
        citizen_name: row.try_get("citizen_name")?,
        citizen_address: row.try_get("citizen_address")?,
        citizen_id_number: row.try_get("citizen_id_number")?,
        contacts,
        attachments,
        publication_consent: row.try_get("publication_consent")?,
        citizen: row.try_get::<Option<i64>, _>("citizen_id")?.map(CitizenId),
        language: parse(row, "reader_language")?,
        publication: match (
            row.try_get::<bool, _>("published")?,
            row.try_get::<Option<String>, _>("public_title")?,
            row.try_get::<Option<String>, _>("public_summary")?,
            row.try_get::<Option<DbTime>, _>("published_at")?,
        ) {
            (true, Some(title), Some(summary), Some(at)) => Some(Publication {
                title,
                summary,
                published_at: at.0,
            }),
            (false, ..) => None,
            _ => return Err(corrupt("cases: a published case lacks its public copy")),
        },
        source_ref: row.try_get("source_ref")?,
        received_at: row.try_get::<DbTime, _>("received_at")?.0,
        received_on: row.try_get("received_on")?,
        progress: CaseProgress {
            status: parse(row, "status")?,
            accepted_on: row.try_get("accepted_on")?,
            forwarded_on: row.try_get("forwarded_on")?,
            forwarded_unit: row.try_get("forwarded_unit")?,
            unit_accepted_on: row.try_get("unit_accepted_on")?,
            result_on: row.try_get("result_on")?,
            assignee: row.try_get::<Option<i64>, _>("assignee_id")?.map(StaffId),
            answer: row.try_get("answer")?,
            closed_on: row.try_get("closed_on")?,
            flags: CaseFlags {
                competent: row.try_get("competent")?,
                complex: row.try_get("complex")?,
                especially_complex: row.try_get("especially_complex")?,
                remote_area: row.try_get("remote_area")?,
                regulation: row.try_get("regulation")?,
                reason: row.try_get("flags_reason")?,
            },
            resume_status: parse_opt(row, "resume_status")?,
            council_paused_on: row.try_get("council_paused_on")?,
            council_paused_days: count(row, "council_paused_days")?,
            suspended_on: row.try_get("suspended_on")?,
            suspended_days: count(row, "suspended_days")?,
            extensions: count(row, "extensions")?,
            clocks: Clocks {
                council: clock(row, "council_due", "council_source")?,
                resolver: clock(row, "statutory_due", "statutory_source")?,
                relay: clock(row, "relay_due", "relay_source")?,
            },
        },
        version: row.try_get("version")?,
        updated_at: row.try_get::<DbTime, _>("updated_at")?.0,
    })
}

/// Moves the case's version if it is still at `status` and `version`: 1 row, or 0 when
/// somebody changed it since it was read.
pub(super) async fn bump_version(
    conn: &mut DbConnection,
    case: CaseId,
    status: Status,
    version: i64,
    now: DbTime,
) -> Result<u64, Error> {
    Ok(sqlx::query(
        r#"
        UPDATE cases
        SET version = version + 1, updated_at = $1
        WHERE id = $2
          AND status = $3
          AND version = $4
        "#,
    )
    .bind(now)
    .bind(case.0)
    .bind(status.as_str())
    .bind(version)
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// Applies a progress change inside the caller's transaction: a staff action's own, or an
/// inbound message's effect committed with the message's `done`.
pub(super) async fn apply_progress(
    conn: &mut DbConnection,
    change: &ProgressChange,
    now: DbTime,
) -> Result<Case, Error> {
    // The version guard first: of two racing changes exactly one moves it.
    let updated = bump_version(
        &mut *conn,
        change.case_id,
        change.expected_status,
        change.expected_version,
        now,
    )
    .await?;
    if updated == 1 {
        store_progress(&mut *conn, change.case_id, &change.progress).await?;
    }
    let case = record_change(&mut *conn, change.case_id, updated, &change.event, now).await?;
    enqueue_change(&mut *conn, &case, &change.notify, now).await?;
    Ok(case)
}

/// Applies added information inside the caller's transaction: a staff action's own, or an
/// inbound message's effect committed with the message's `done`.
pub(super) async fn apply_information(
    conn: &mut DbConnection,
    change: &InformationChange,
    now: DbTime,
) -> Result<Case, Error> {
    // Only the version moves: information changes no status or clock. The status guard
    // keeps a case closed meanwhile from taking it.
    let updated = bump_version(
        &mut *conn,
        change.case_id,
        change.expected_status,
        change.expected_version,
        now,
    )
    .await?;
    if updated > 0 {
        insert_attachments(&mut *conn, change.case_id, &change.attachments).await?;
    }
    let case = record_change(&mut *conn, change.case_id, updated, &change.event, now).await?;
    enqueue_change(&mut *conn, &case, &change.notify, now).await?;
    Ok(case)
}

/// Applies a publication change inside the caller's transaction, audited.
pub(super) async fn apply_publication(
    conn: &mut DbConnection,
    change: &PublicationChange,
    now: DbTime,
) -> Result<Case, Error> {
    let public = change.publication.as_ref();
    let updated = sqlx::query(
        r#"
            UPDATE cases
            SET published = $1, public_title = $2, public_summary = $3, published_at = $4,
                version = version + 1, updated_at = $5
            WHERE id = $6
              AND version = $7
              AND kind <> 'to_cao'
            "#,
    )
    .bind(public.is_some())
    .bind(public.map(|p| p.title.as_str()))
    .bind(public.map(|p| p.summary.as_str()))
    .bind(public.map(|p| DbTime(p.published_at)))
    .bind(now)
    .bind(change.case_id.0)
    .bind(change.expected_version)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let case = record_change(&mut *conn, change.case_id, updated, &change.event, now).await?;
    enqueue_change(&mut *conn, &case, &change.notify, now).await?;
    let note = AuditNote {
        by: change.event.actor.staff_id(),
        detail: Some(
            if public.is_some() {
                "published"
            } else {
                "withdrawn"
            }
            .to_owned(),
        ),
    };
    write_audit(
        &mut *conn,
        now,
        &note,
        PUBLISH_CASE,
        &format!("case:{}", case.id),
    )
    .await?;
    Ok(case)
}

/// The cases whose ids `sql` selects, each read whole.
async fn cases_where(conn: &mut DbConnection, sql: &'static str) -> Result<Vec<Case>, Error> {
    let ids: Vec<i64> = sqlx::query(sql)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
    fetch_cases(conn, ids).await
}

/// A clock runs while its source is set; without a date it is unknown.
fn clock(row: &DbRow, due: &str, source: &str) -> Result<Option<Clock>, Error> {
    let Some(source) = row.try_get::<Option<String>, _>(source)? else {
        return Ok(None);
    };
    Ok(Some(Clock {
        due: row.try_get(due)?,
        source,
    }))
}

/// Writes every field of a case's progress; the caller has checked the version it read.
async fn store_progress(
    conn: &mut DbConnection,
    id: CaseId,
    p: &CaseProgress,
) -> Result<(), Error> {
    let due = |c: &Option<Clock>| c.as_ref().and_then(|c| c.due);
    let source = |c: &Option<Clock>| c.as_ref().map(|c| c.source.clone());
    sqlx::query(
        r#"
        UPDATE cases
        SET status = $1, accepted_on = $2, forwarded_on = $3, forwarded_unit = $4,
            unit_accepted_on = $5, result_on = $6, assignee_id = $7, answer = $8,
            closed_on = $9, competent = $10, complex = $11, especially_complex = $12,
            remote_area = $13, regulation = $14, flags_reason = $15, resume_status = $16,
            council_paused_on = $17, council_paused_days = $18, suspended_on = $19,
            suspended_days = $20, extensions = $21, council_due = $22, council_source = $23,
            statutory_due = $24, statutory_source = $25, relay_due = $26, relay_source = $27
        WHERE id = $28
        "#,
    )
    .bind(p.status.as_str())
    .bind(p.accepted_on)
    .bind(p.forwarded_on)
    .bind(p.forwarded_unit.as_deref())
    .bind(p.unit_accepted_on)
    .bind(p.result_on)
    .bind(p.assignee.map(|s| s.0))
    .bind(p.answer.as_deref())
    .bind(p.closed_on)
    .bind(p.flags.competent)
    .bind(p.flags.complex)
    .bind(p.flags.especially_complex)
    .bind(p.flags.remote_area)
    .bind(p.flags.regulation)
    .bind(p.flags.reason.as_deref())
    .bind(p.resume_status.map(|s| s.as_str()))
    .bind(p.council_paused_on)
    .bind(i64::from(p.council_paused_days))
    .bind(p.suspended_on)
    .bind(i64::from(p.suspended_days))
    .bind(i64::from(p.extensions))
    .bind(due(&p.clocks.council))
    .bind(source(&p.clocks.council))
    .bind(due(&p.clocks.resolver))
    .bind(source(&p.clocks.resolver))
    .bind(due(&p.clocks.relay))
    .bind(source(&p.clocks.relay))
    .bind(id.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn fetch_case(conn: &mut DbConnection, id: CaseId) -> Result<Case, Error> {
    let row = sqlx::query(concat!(case_select!(), "WHERE id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound("case"))?;
    let contacts = sqlx::query(
        r#"
        SELECT kind, address
        FROM case_contacts
        WHERE case_id = $1
        ORDER BY position
        "#,
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(contact_from_row)
    .collect::<Result<_, _>>()?;
    let attachments = sqlx::query(
        r#"
        SELECT file_name, content_type, size_bytes, sha256, file_id
        FROM case_attachments
        WHERE case_id = $1
        ORDER BY position
        "#,
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|row| {
        Ok(Attachment {
            file_name: row.try_get("file_name")?,
            content_type: row.try_get("content_type")?,
            size_bytes: row.try_get("size_bytes")?,
            sha256: row.try_get("sha256")?,
            file_id: row.try_get::<Option<i64>, _>("file_id")?.map(FileId),
        })
    })
    .collect::<Result<_, Error>>()?;
    case_from_row(&row, contacts, attachments)
}

/// After a guarded `UPDATE cases`: a conflict if it matched no row (the case changed
/// meanwhile, or vanished), else the timeline event appended and the case as it is now.
pub(super) async fn record_change(
    conn: &mut DbConnection,
    case: CaseId,
    updated: u64,
    event: &NewEvent,
    now: DbTime,
) -> Result<Case, Error> {
    if updated == 0 {
        let current = fetch_case(&mut *conn, case).await?;
        return Err(Error::Conflict(format!(
            "case {} changed meanwhile (now `{}`, version {}); reload it and try again",
            current.code, current.progress.status, current.version
        )));
    }
    insert_event(&mut *conn, case, now, event).await?;
    let case = fetch_case(&mut *conn, case).await?;
    index_for_search(conn, &case).await?;
    Ok(case)
}

/// Keeps the folded search text of a case in step with what the public may see of it. It is
/// written only when it changed, so the search index's triggers run only then.
async fn index_for_search(conn: &mut DbConnection, case: &Case) -> Result<(), Error> {
    sqlx::query(
        "UPDATE cases SET search_text = $1 WHERE id = $2 AND search_text IS DISTINCT FROM $1",
    )
    .bind(crate::catalog::search_text(case))
    .bind(case.id.0)
    .execute(conn)
    .await?;
    Ok(())
}

/// Folds the search text of the published cases stored before the search existed, once, when
/// the store opens; later changes keep it in step themselves.
pub(super) async fn index_unindexed_cases(conn: &mut DbConnection) -> Result<u64, Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        r#"
        SELECT id FROM cases
        WHERE published = TRUE AND kind <> 'to_cao' AND search_text IS NULL
        "#,
    )
    .fetch_all(&mut *conn)
    .await?;
    for id in &ids {
        let case = fetch_case(&mut *conn, CaseId(*id)).await?;
        index_for_search(&mut *conn, &case).await?;
    }
    Ok(ids.len() as u64)
}

/// Enqueues the notifications of a case change, rendered from the case as stored, under the
/// key of the version it reached: a replayed change adds nothing.
async fn enqueue_change(
    conn: &mut DbConnection,
    case: &Case,
    notify: &Notify,
    now: DbTime,
) -> Result<(), Error> {
    let notifications = (notify.0)(case)?;
    let event_key = format!("case:{}:v{}", case.id, case.version);
    insert_notifications(conn, &event_key, Some(case.id), &notifications, now).await?;
    Ok(())
}

/// The cases with these ids, in this order.
pub(super) async fn fetch_cases(
    conn: &mut DbConnection,
    ids: Vec<i64>,
) -> Result<Vec<Case>, Error> {
    let mut cases = Vec::with_capacity(ids.len());
    for id in ids {
        cases.push(fetch_case(conn, CaseId(id)).await?);
    }
    Ok(cases)
}

/// The case whose unique column matches `key`; `id_sql` selects its `id`.
async fn fetch_case_where(
    conn: &mut DbConnection,
    id_sql: &'static str,
    key: &str,
) -> Result<Case, Error> {
    let id: i64 = sqlx::query(id_sql)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(Error::NotFound("case"))?
        .try_get("id")?;
    fetch_case(conn, CaseId(id)).await
}

/// Appends attachments after the case's own, and seals the uploads of a denunciation: its
/// files are as secret as the case, whatever the uploader said.
async fn insert_attachments(
    conn: &mut DbConnection,
    case: CaseId,
    attachments: &[Attachment],
) -> Result<(), Error> {
    let first: i64 = sqlx::query(
        r#"
        SELECT COALESCE(MAX(position) + 1, 0) AS next
        FROM case_attachments
        WHERE case_id = $1
        "#,
    )
    .bind(case.0)
    .fetch_one(&mut *conn)
    .await?
    .try_get("next")?;
    for (position, file) in (first..).zip(attachments) {
        sqlx::query(
            r#"
            INSERT INTO case_attachments (case_id, position, file_name, content_type, size_bytes, sha256, file_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            "#,
        )
        .bind(case.0)
        .bind(position)
        .bind(file.file_name.as_str())
        .bind(file.content_type.as_str())
        .bind(file.size_bytes)
        .bind(file.sha256.as_str())
        .bind(file.file_id.map(|f| f.0))
        .execute(&mut *conn)
        .await?;
        if let Some(file_id) = file.file_id {
            sqlx::query(
                r#"
                UPDATE files
                SET sealed = TRUE
                WHERE id = $1
                  AND EXISTS (SELECT 1 FROM cases WHERE id = $2 AND kind = 'to_cao')
                "#,
            )
            .bind(file_id.0)
            .bind(case.0)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

pub(super) async fn insert_event(
    conn: &mut DbConnection,
    case: CaseId,
    at: DbTime,
    event: &NewEvent,
) -> Result<(), Error> {
    sqlx::query(
        r#"
        INSERT INTO case_events (case_id, at, kind, actor, staff_id, from_status, to_status, note)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        "#,
    )
    .bind(case.0)
    .bind(at)
    .bind(event.kind.as_str())
    .bind(event.actor.kind().as_str())
    .bind(event.actor.staff_id().map(|s| s.0))
    .bind(event.from.map(Status::as_str))
    .bind(event.to.map(Status::as_str))
    .bind(event.note.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts a case with its code (from the per-day counter), contacts, attachments, sealed
/// identity, `created` event and notifications, inside the caller's transaction.
pub(super) async fn insert_case(
    conn: &mut DbConnection,
    now: DbTime,
    record: CaseRecord,
) -> Result<CreatedCase, Error> {
    let case = &record.case;
    let progress = &record.progress;
    // The per-day counter: concurrent inserts serialise on this row, so no two cases
    // of one day get the same number.
    let seq: i64 = sqlx::query(
        r#"
        INSERT INTO case_code_counters (prefix, day, last)
        VALUES ($1, $2, 1)
        ON CONFLICT (prefix, day) DO UPDATE SET last = case_code_counters.last + 1
        RETURNING last
        "#,
    )
    .bind(record.code_prefix.as_str())
    .bind(record.received_on)
    .fetch_one(&mut *conn)
    .await?
    .try_get("last")?;
    let code = CaseCode::new(&record.code_prefix, record.received_on, seq);
    let citizen = link_citizen(&mut *conn, now, case).await?;
    let id: i64 = sqlx::query(
        r#"
        INSERT INTO cases (
            code, access_token_hash, kind, complaint_round, first_case_id, title, content,
            area, category, channel, citizen_name, publication_consent, published,
            complex, remote_area, received_at, received_on, status,
            extensions, version, created_at, updated_at, source_ref, citizen_id, language,
            citizen_address, citizen_id_number)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, FALSE,
                FALSE, FALSE, $13, $14, $15, 0, 1, $16, $16, $17, $18, $19, $20, $21)
        RETURNING id
        "#,
    )
    .bind(code.as_str())
    .bind(record.access_token.hash())
    .bind(case.kind.as_str())
    .bind(case.complaint_round.map(|r| r.as_str()))
    .bind(record.first_case_id.map(|c| c.0))
    .bind(case.title.as_str())
    .bind(case.content.as_str())
    .bind(case.area.as_deref())
    .bind(case.category.as_deref())
    .bind(case.channel.as_str())
    .bind(case.citizen_name.as_deref())
    .bind(case.publication_consent)
    .bind(DbTime(record.received_at))
    .bind(record.received_on)
    .bind(progress.status.as_str())
    .bind(now)
    .bind(case.source_ref.as_deref())
    .bind(citizen)
    .bind(case.language.as_str())
    .bind(case.citizen_address.as_deref())
    .bind(case.citizen_id_number.as_deref())
    .fetch_one(&mut *conn)
    .await
    .map_err(|e| match (Error::from(e), &case.source_ref) {
        (Error::Conflict(_), Some(source)) => {
            Error::Conflict(format!("a case from `{source}` is already stored"))
        }
        (other, _) => other,
    })?
    .try_get("id")?;
    store_progress(&mut *conn, CaseId(id), progress).await?;
    insert_contacts(
        &mut *conn,
        r#"
        INSERT INTO case_contacts (case_id, position, kind, address)
        VALUES ($1, $2, $3, $4)
        "#,
        id,
        &case.contacts,
    )
    .await?;
    insert_attachments(&mut *conn, CaseId(id), &case.attachments).await?;
    if let Some(identity) = &case.denouncer {
        sqlx::query(
            r#"
            INSERT INTO denouncer_identities (
                case_id, full_name, phone, email, address, contact_kind, contact_address,
                created_at, id_number)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            "#,
        )
        .bind(id)
        .bind(identity.full_name.as_str())
        .bind(identity.phone.as_deref())
        .bind(identity.email.as_deref())
        .bind(identity.address.as_deref())
        .bind(identity.chosen_contact.as_ref().map(|c| c.kind.as_str()))
        .bind(identity.chosen_contact.as_ref().map(|c| c.address.as_str()))
        .bind(now)
        .bind(identity.id_number.as_deref())
        .execute(&mut *conn)
        .await?;
        for hash in &record.denouncer_hashes {
            sqlx::query(
                r#"
                INSERT INTO denouncer_contact_hashes (case_id, hash)
                VALUES ($1, $2)
                ON CONFLICT DO NOTHING
                "#,
            )
            .bind(id)
            .bind(hash.as_str())
            .execute(&mut *conn)
            .await?;
        }
    }
    let created = NewEvent {
        kind: EventKind::Created,
        actor: Actor::Citizen,
        from: None,
        to: Some(Status::Received),
        note: None,
    };
    insert_event(&mut *conn, CaseId(id), now, &created).await?;
    let stored = fetch_case(&mut *conn, CaseId(id)).await?;
    enqueue_change(&mut *conn, &stored, &record.notify, now).await?;
    Ok(CreatedCase {
        case: stored,
        access_token: record.access_token,
    })
}

#[async_trait]
impl CaseStore for This {
    async fn add_case(&self, record: CaseRecord) -> Result<CreatedCase, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let created = insert_case(&mut tx, now, record).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn get_case(&self, id: CaseId) -> Result<Case, Error> {
        let mut conn = self.pool.acquire().await?;
        fetch_case(&mut conn, id).await
    }

    async fn get_case_by_code(&self, code: &CaseCode) -> Result<Case, Error> {
        let mut conn = self.pool.acquire().await?;
        fetch_case_where(
            &mut conn,
            "SELECT id FROM cases WHERE code = $1",
            code.as_str(),
        )
        .await
    }

    async fn get_case_by_token(&self, token: &AccessToken) -> Result<Case, Error> {
        let mut conn = self.pool.acquire().await?;
        fetch_case_where(
            &mut conn,
            "SELECT id FROM cases WHERE access_token_hash = $1",
            &token.hash(),
        )
        .await
    }

    async fn get_case_by_source_ref(&self, source_ref: &str) -> Result<Case, Error> {
        let mut conn = self.pool.acquire().await?;
        fetch_case_where(
            &mut conn,
            "SELECT id FROM cases WHERE source_ref = $1",
            source_ref,
        )
        .await
    }

    async fn count_open_and_overdue(&self, today: NaiveDate) -> Result<(i64, i64), Error> {
        let mut sql = sqlx::QueryBuilder::<super::Db>::new(
            "SELECT COUNT(*) AS open, \
             COALESCE(SUM(CASE WHEN COALESCE(relay_due, statutory_due, council_due) < ",
        );
        sql.push_bind(today)
            .push(" THEN 1 ELSE 0 END), 0) AS overdue FROM cases WHERE status IN (");
        let mut statuses = sql.separated(", ");
        for status in Status::ALL.into_iter().filter(|s| s.is_open()) {
            statuses.push_bind(status.as_str());
        }
        sql.push(")");
        let row = sql.build().fetch_one(&self.pool).await?;
        Ok((row.try_get("open")?, row.try_get("overdue")?))
    }

    async fn count_cases(&self, filter: &CaseFilter) -> Result<i64, Error> {
        let row = sqlx::query(concat!("SELECT COUNT(*) AS n FROM cases", case_filter!()))
            .bind(filter.kind.map(|k| k.as_str()))
            .bind(filter.status.map(Status::as_str))
            .bind(filter.published)
            .bind(filter.exclude_to_cao)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    async fn count_cases_by_status(
        &self,
        exclude_to_cao: bool,
    ) -> Result<Vec<(Status, i64)>, Error> {
        sqlx::query(
            r#"
            SELECT status, COUNT(*) AS n
            FROM cases
            WHERE ($1 = FALSE OR kind <> 'to_cao')
            GROUP BY status
            ORDER BY status
            "#,
        )
        .bind(exclude_to_cao)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| Ok((parse(row, "status")?, row.try_get("n")?)))
        .collect()
    }

    async fn list_cases(&self, filter: &CaseFilter) -> Result<Vec<Case>, Error> {
        let mut conn = self.pool.acquire().await?;
        let ids: Vec<i64> = sqlx::query(concat!(
            "SELECT id FROM cases",
            case_filter!(),
            r#"
            ORDER BY CASE WHEN $7 THEN published_at END DESC, received_at DESC, id DESC
            LIMIT $5 OFFSET $6
            "#
        ))
        .bind(filter.kind.map(|k| k.as_str()))
        .bind(filter.status.map(Status::as_str))
        .bind(filter.published)
        .bind(filter.exclude_to_cao)
        .bind(if filter.limit > 0 { filter.limit } else { 100 })
        .bind(filter.offset.max(0))
        .bind(filter.by_publication)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<Result<_, _>>()?;
        fetch_cases(&mut conn, ids).await
    }

    async fn update_case_progress(&self, change: ProgressChange) -> Result<Case, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let case = apply_progress(&mut tx, &change, now).await?;
        tx.commit().await?;
        Ok(case)
    }

    async fn add_case_information(&self, change: InformationChange) -> Result<Case, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let case = apply_information(&mut tx, &change, now).await?;
        tx.commit().await?;
        Ok(case)
    }

    async fn update_case_publication(&self, change: PublicationChange) -> Result<Case, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let case = apply_publication(&mut tx, &change, now).await?;
        tx.commit().await?;
        Ok(case)
    }

    async fn get_timeline(&self, case: CaseId) -> Result<Vec<TimelineEvent>, Error> {
        sqlx::query(
            r#"
            SELECT id, case_id, at, kind, actor, staff_id, from_status, to_status, note
            FROM case_events
            WHERE case_id = $1
            ORDER BY id
            "#,
        )
        .bind(case.0)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|row| {
            let actor = match (
                parse::<ActorKind>(row, "actor")?,
                row.try_get::<Option<i64>, _>("staff_id")?,
            ) {
                (ActorKind::Staff, Some(id)) => Actor::Staff(StaffId(id)),
                (ActorKind::Citizen, None) => Actor::Citizen,
                _ => return Err(corrupt("case_events: actor and staff_id disagree")),
            };
            Ok(TimelineEvent {
                id: row.try_get("id")?,
                case_id: CaseId(row.try_get("case_id")?),
                at: row.try_get::<DbTime, _>("at")?.0,
                kind: parse::<EventKind>(row, "kind")?,
                actor,
                from: parse_opt(row, "from_status")?,
                to: parse_opt(row, "to_status")?,
                note: row.try_get("note")?,
            })
        })
        .collect()
    }

    async fn read_denouncer_identity(
        &self,
        access: &IdentityAccess,
        case: CaseId,
    ) -> Result<DenouncerIdentity, Error> {
        let now = DbTime(self.clock.now());
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            r#"
            SELECT full_name, phone, email, address, id_number, contact_kind, contact_address
            FROM denouncer_identities
            WHERE case_id = $1
            "#,
        )
        .bind(case.0)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound("denouncer identity"))?;
        let kind: Option<ContactKind> = parse_opt(&row, "contact_kind")?;
        let address: Option<String> = row.try_get("contact_address")?;
        let identity = DenouncerIdentity {
            full_name: row.try_get("full_name")?,
            phone: row.try_get("phone")?,
            email: row.try_get("email")?,
            address: row.try_get("address")?,
            id_number: row.try_get("id_number")?,
            chosen_contact: kind
                .zip(address)
                .map(|(kind, address)| ContactPoint { kind, address }),
        };
        insert_audit(
            &mut tx,
            now,
            Some(access.staff()),
            READ_DENOUNCER_IDENTITY,
            &format!("case:{}", case.0),
            Some(access.purpose()),
        )
        .await?;
        tx.commit().await?;
        Ok(identity)
    }

    async fn list_open_assigned_cases(&self) -> Result<Vec<Case>, Error> {
        let mut conn = self.pool.acquire().await?;
        cases_where(
            &mut conn,
            r#"
            SELECT id
            FROM cases
            WHERE assignee_id IS NOT NULL
              AND status IN ('received', 'needs_info', 'accepted', 'forwarded', 'in_progress',
                             'suspended')
            ORDER BY id
            "#,
        )
        .await
    }

    async fn list_cases_with_running_clocks(&self) -> Result<Vec<Case>, Error> {
        let mut conn = self.pool.acquire().await?;
        cases_where(
            &mut conn,
            r#"
            SELECT id
            FROM cases
            WHERE status IN ('received', 'needs_info', 'accepted', 'forwarded', 'in_progress',
                             'suspended')
              AND (council_source IS NOT NULL OR statutory_source IS NOT NULL
                   OR relay_source IS NOT NULL)
            ORDER BY id
            "#,
        )
        .await
    }
}
