//! The SQL of the store, written once and expanded for each backend by [`sql_store!`].
//!
//! The macro, not generic functions, because sqlx's generic bounds (`Encode` for every bound
//! type, `Executor` for every connection) would repeat on every method; each backend's types are
//! concrete here. Placeholders are `$1…`, which both SQLite and PostgreSQL read. The invoking
//! module supplies a struct with `pool` and `clock` fields and a `begin_write` method.

/// The columns `case_from_row` reads.
macro_rules! case_select {
    () => {
        r#"
        SELECT id, code, kind, complaint_round, first_case_id, title, content, area, category,
               channel, citizen_name, publication_consent, published, complex, remote_area,
               received_at, received_on, status, accepted_on, forwarded_on, forwarded_unit,
               unit_accepted_on, assignee_id, answer, closed_on, council_due, council_paused_on,
               statutory_due, extensions, version, updated_at, source_ref, public_title,
               public_summary, published_at
        FROM cases
        "#
    };
}

/// The columns `outbox_from_row` reads.
macro_rules! outbox_columns {
    () => {
        r#"
        id, dedupe_key, channel, address, sealed, category, urgent, case_id, subject, body_text,
        body_html, message_id, in_reply_to, reference_ids, list_unsubscribe, fallback, status,
        attempts, due_at, lease_token, claimed_by, last_error, sent_at, created_at
        "#
    };
}

/// The columns an enqueued row is inserted with, `$1`–`$16` in this order; status, attempts and
/// the timestamps follow in the statements.
macro_rules! outbox_insert {
    () => {
        r#"
        INSERT INTO outbox (
            dedupe_key, channel, address, sealed, category, urgent, case_id, subject, body_text,
            body_html, message_id, in_reply_to, reference_ids, list_unsubscribe, fallback, due_at,
            status, attempts, created_at, updated_at)
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

macro_rules! staff_select {
    () => {
        r#"
        SELECT id, login, display_name, roles, unit, lead_id, time_zone, language, active,
               quiet_hours
        FROM staff
        "#
    };
}

macro_rules! sql_store {
    ($Store:ty, $Db:ty, $backend:expr, $skip_locked:literal, $for_update:literal) => {
        use std::str::FromStr;
        use std::sync::Arc;

        use async_trait::async_trait;
        use sqlx::{Database, Row};

        use crate::clock::Clock;
        use crate::delivery::ChannelKind;
        use crate::delivery::outbox::{
            Category, Destination, NewNotification, Outcome, OutboxRow, OutboxStatus, Target,
        };
        use crate::domain::{CalendarEvent, NewCalendarEvent, NewTask, Task, TaskStatus};
        use crate::domain::audit::{ADD_STAFF, READ_DENOUNCER_IDENTITY};
        use crate::domain::staff::{format_roles, parse_roles};
        use crate::domain::{
            AccessToken, Actor, ActorKind, Attachment, AuditEntry, Case, CaseCode, CaseId,
            CaseProgress, ContactKind, ContactPoint, DenouncerIdentity, EventKind,
            IdentityAccess, NewEvent, NewStaff, Publication, Staff, StaffId, Status,
            TimelineEvent,
        };
        use crate::error::Error;
        use crate::storage::{
            Backend, CaseFilter, CaseRecord, CreatedCase, DbTime, ProgressChange,
            PublicationChange, Store, corrupt,
        };

        type DbRow = <$Db as Database>::Row;
        type DbConnection = <$Db as Database>::Connection;

        fn parse<T: FromStr>(row: &DbRow, column: &str) -> Result<T, Error>
        where
            T::Err: std::fmt::Display,
        {
            let text: String = row.try_get(column)?;
            text.parse().map_err(|e| corrupt(format!("{column}: {e}")))
        }

        fn parse_opt<T: FromStr>(row: &DbRow, column: &str) -> Result<Option<T>, Error>
        where
            T::Err: std::fmt::Display,
        {
            let text: Option<String> = row.try_get(column)?;
            text.map(|t| t.parse().map_err(|e| corrupt(format!("{column}: {e}"))))
                .transpose()
        }

        fn count(row: &DbRow, column: &str) -> Result<u32, Error> {
            let n: i64 = row.try_get(column)?;
            u32::try_from(n).map_err(|e| corrupt(format!("{column}: {e}")))
        }

        fn contact_from_row(row: &DbRow) -> Result<ContactPoint, Error> {
            Ok(ContactPoint {
                kind: parse(row, "kind")?,
                address: row.try_get("address")?,
            })
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
                contacts,
                attachments,
                publication_consent: row.try_get("publication_consent")?,
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
                complex: row.try_get("complex")?,
                remote_area: row.try_get("remote_area")?,
                source_ref: row.try_get("source_ref")?,
                received_at: row.try_get::<DbTime, _>("received_at")?.0,
                received_on: row.try_get("received_on")?,
                progress: CaseProgress {
                    status: parse(row, "status")?,
                    accepted_on: row.try_get("accepted_on")?,
                    forwarded_on: row.try_get("forwarded_on")?,
                    forwarded_unit: row.try_get("forwarded_unit")?,
                    unit_accepted_on: row.try_get("unit_accepted_on")?,
                    assignee: row.try_get::<Option<i64>, _>("assignee_id")?.map(StaffId),
                    answer: row.try_get("answer")?,
                    closed_on: row.try_get("closed_on")?,
                    council_due: row.try_get("council_due")?,
                    council_paused_on: row.try_get("council_paused_on")?,
                    statutory_due: row.try_get("statutory_due")?,
                    extensions: count(row, "extensions")?,
                },
                version: row.try_get("version")?,
                updated_at: row.try_get::<DbTime, _>("updated_at")?.0,
            })
        }

        async fn fetch_case(conn: &mut DbConnection, id: CaseId) -> Result<Case, Error> {
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
                SELECT file_name, content_type, size_bytes, sha256
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
                })
            })
            .collect::<Result<_, Error>>()?;
            case_from_row(&row, contacts, attachments)
        }

        /// After a guarded `UPDATE cases`: a conflict if it matched no row (the case changed
        /// meanwhile, or vanished), else the timeline event appended and the case as it is now.
        async fn record_change(
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
            fetch_case(conn, case).await
        }

        /// The cases with these ids, in this order.
        async fn fetch_cases(conn: &mut DbConnection, ids: Vec<i64>) -> Result<Vec<Case>, Error> {
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

        async fn fetch_staff(conn: &mut DbConnection, row: DbRow) -> Result<Staff, Error> {
            let id: i64 = row.try_get("id")?;
            let contacts = sqlx::query(
                r#"
                SELECT kind, address
                FROM staff_contacts
                WHERE staff_id = $1
                ORDER BY position
                "#,
            )
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(contact_from_row)
            .collect::<Result<_, _>>()?;
            let roles: String = row.try_get("roles")?;
            Ok(Staff {
                id: StaffId(id),
                login: row.try_get("login")?,
                display_name: row.try_get("display_name")?,
                roles: parse_roles(&roles).map_err(corrupt)?,
                unit: row.try_get("unit")?,
                lead: row.try_get::<Option<i64>, _>("lead_id")?.map(StaffId),
                time_zone: parse(&row, "time_zone")?,
                language: parse(&row, "language")?,
                contacts,
                quiet_hours: parse_opt(&row, "quiet_hours")?,
                active: row.try_get("active")?,
            })
        }

        async fn insert_event(
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

        async fn insert_contacts(
            conn: &mut DbConnection,
            table_sql: &'static str,
            owner: i64,
            contacts: &[ContactPoint],
        ) -> Result<(), Error> {
            for (position, contact) in contacts.iter().enumerate() {
                sqlx::query(table_sql)
                    .bind(owner)
                    .bind(position as i64)
                    .bind(contact.kind.as_str())
                    .bind(contact.address.as_str())
                    .execute(&mut *conn)
                    .await?;
            }
            Ok(())
        }

        fn outbox_from_row(row: &DbRow) -> Result<OutboxRow, Error> {
            let references: String = row.try_get("reference_ids")?;
            let fallback: String = row.try_get("fallback")?;
            Ok(OutboxRow {
                id: row.try_get("id")?,
                dedupe_key: row.try_get("dedupe_key")?,
                channel: parse(row, "channel")?,
                address: row.try_get("address")?,
                sealed: row.try_get("sealed")?,
                category: parse(row, "category")?,
                urgent: row.try_get("urgent")?,
                case_id: row.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
                subject: row.try_get("subject")?,
                text: row.try_get("body_text")?,
                html: row.try_get("body_html")?,
                message_id: row.try_get("message_id")?,
                in_reply_to: row.try_get("in_reply_to")?,
                references: references.split_whitespace().map(str::to_owned).collect(),
                list_unsubscribe: row.try_get("list_unsubscribe")?,
                fallback: serde_json::from_str(&fallback).map_err(|e| corrupt(format!("outbox.fallback: {e}")))?,
                status: parse(row, "status")?,
                attempts: count(row, "attempts")?,
                due_at: row.try_get::<DbTime, _>("due_at")?.0,
                lease_token: row.try_get("lease_token")?,
                claimed_by: row.try_get("claimed_by")?,
                last_error: row.try_get("last_error")?,
                sent_at: row.try_get::<Option<DbTime>, _>("sent_at")?.map(|t| t.0),
                created_at: row.try_get::<DbTime, _>("created_at")?.0,
            })
        }

        /// Inserts notifications with dedupe keys `<event_key>:<key>`, skipping keys already
        /// stored; returns how many rows were added.
        async fn insert_notifications(
            conn: &mut DbConnection,
            event_key: &str,
            case: Option<CaseId>,
            notifications: &[NewNotification],
            now: DbTime,
        ) -> Result<u64, Error> {
            let mut added = 0;
            for n in notifications {
                let dedupe_key = format!("{event_key}:{}", n.key);
                let references = n.references.join(" ");
                let (first, rest): (Option<&Destination>, &[Destination]) = match &n.to {
                    Target::Contacts(list) => (list.first(), list.get(1..).unwrap_or_default()),
                    Target::Denouncer => (None, &[]),
                };
                let fallback = serde_json::to_string(rest).map_err(|e| corrupt(e))?;
                let query = match (&n.to, first) {
                    (Target::Contacts(_), None) => continue,
                    (Target::Contacts(_), Some(dest)) => sqlx::query(concat!(
                        outbox_insert!(),
                        r#"
                        VALUES ($1, $2, $3, FALSE, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                                CASE WHEN $17 THEN 'suppressed' ELSE 'queued' END, 0, $16, $16)
                        ON CONFLICT (dedupe_key) DO NOTHING
                        "#
                    ))
                    .bind(dedupe_key)
                    .bind(dest.channel.as_str())
                    .bind(dest.address.as_str()),
                    // The sealed address is copied by the database itself: it never passes
                    // through the hub's memory on its way into the outbox.
                    (Target::Denouncer, _) => sqlx::query(concat!(
                        outbox_insert!(),
                        r#"
                        SELECT $1, contact_kind, contact_address, TRUE, $4, $5, $6, $7, $8, $9, $10,
                               $11, $12, $13, $14, $15,
                               CASE WHEN $17 THEN 'suppressed' ELSE 'queued' END, 0, $16, $16
                        FROM denouncer_identities
                        WHERE case_id = $6
                          AND contact_kind IN ('email', 'telegram')
                          -- $2 and $3 carry a contact row's destination; both are empty here.
                          AND $2 = $3
                        ON CONFLICT (dedupe_key) DO NOTHING
                        "#
                    ))
                    .bind(dedupe_key)
                    .bind("")
                    .bind(""),
                };
                added += query
                    .bind(n.category.as_str())
                    .bind(n.urgent)
                    .bind(case.map(|c| c.0))
                    .bind(n.subject.as_str())
                    .bind(n.text.as_str())
                    .bind(n.html.as_deref())
                    .bind(n.message_id.as_deref())
                    .bind(n.in_reply_to.as_deref())
                    .bind(references)
                    .bind(n.list_unsubscribe.as_deref())
                    .bind(fallback)
                    .bind(DbTime(n.due_at))
                    .bind(now)
                    .bind(n.suppressed)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
            }
            // Wakes idle workers of every instance once the transaction commits.
            if let (true, Some(sql)) = (added > 0, NOTIFY_SQL) {
                sqlx::query(sql).execute(&mut *conn).await?;
            }
            Ok(added)
        }

        /// Records one claimed row's outcome, fenced by its lease token; a permanent failure
        /// also enqueues the first fallback destination.
        async fn record_one(
            conn: &mut DbConnection,
            now: DbTime,
            row: &OutboxRow,
            outcome: &Outcome,
        ) -> Result<bool, Error> {
            let token = row.lease_token.as_deref().unwrap_or_default();
            let (status, due_at, error) = match outcome {
                Outcome::Sent => (OutboxStatus::Sent, None, None),
                Outcome::Retry { due_at, error } => (OutboxStatus::Queued, Some(DbTime(*due_at)), Some(error.as_str())),
                Outcome::Dead { error } => (OutboxStatus::Dead, None, Some(error.as_str())),
                Outcome::Failed { error } => (OutboxStatus::Failed, None, Some(error.as_str())),
                Outcome::Paced { due_at } => (OutboxStatus::Queued, Some(DbTime(*due_at)), row.last_error.as_deref()),
            };
            let uncount = i64::from(matches!(outcome, Outcome::Paced { .. }));
            let updated = sqlx::query(
                r#"
                UPDATE outbox
                SET status = $1, due_at = COALESCE($2, due_at), last_error = $3,
                    sent_at = CASE WHEN $1 = 'sent' THEN $4 ELSE sent_at END,
                    attempts = attempts - $7,
                    lease_token = NULL, lease_until = NULL, updated_at = $4
                WHERE id = $5
                  AND lease_token = $6
                "#,
            )
            .bind(status.as_str())
            .bind(due_at)
            .bind(error)
            .bind(now)
            .bind(row.id)
            .bind(token)
            .bind(uncount)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if updated == 1 && matches!(outcome, Outcome::Failed { .. }) {
                if let Some((next, rest)) = row.fallback.split_first() {
                    sqlx::query(concat!(
                        outbox_insert!(),
                        r#"
                        SELECT dedupe_key || $1, $2, $3, sealed, category, urgent, case_id, subject,
                               body_text, body_html, message_id, in_reply_to, reference_ids,
                               list_unsubscribe, $4, $5, 'queued', 0, $5, $5
                        FROM outbox
                        WHERE id = $6
                        ON CONFLICT (dedupe_key) DO NOTHING
                        "#
                    ))
                    .bind(format!("|fallback:{}:{}", next.channel, next.address))
                    .bind(next.channel.as_str())
                    .bind(next.address.as_str())
                    .bind(serde_json::to_string(rest).map_err(|e| corrupt(e))?)
                    .bind(now)
                    .bind(row.id)
                    .execute(&mut *conn)
                    .await?;
                }
            }
            Ok(updated == 1)
        }

        fn task_from_row(row: &DbRow) -> Result<Task, Error> {
            Ok(Task {
                id: row.try_get("id")?,
                title: row.try_get("title")?,
                assignee: StaffId(row.try_get("assignee_id")?),
                due_on: row.try_get("due_on")?,
                status: parse(row, "status")?,
                case_id: row.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
            })
        }

        async fn fetch_calendar_event(conn: &mut DbConnection, row: &DbRow) -> Result<CalendarEvent, Error> {
            let id: i64 = row.try_get("id")?;
            let attendees = sqlx::query("SELECT staff_id FROM event_attendees WHERE event_id = $1 ORDER BY staff_id")
                .bind(id)
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| Ok(StaffId(r.try_get("staff_id")?)))
                .collect::<Result<_, Error>>()?;
            Ok(CalendarEvent {
                id,
                title: row.try_get("title")?,
                kind: parse(row, "kind")?,
                starts_at: row.try_get::<DbTime, _>("starts_at")?.0,
                ends_at: row.try_get::<Option<DbTime>, _>("ends_at")?.map(|t| t.0),
                place: row.try_get("place")?,
                public: row.try_get("public")?,
                attendees,
            })
        }

        async fn insert_audit(
            conn: &mut DbConnection,
            at: DbTime,
            staff: Option<StaffId>,
            action: &str,
            subject: &str,
            detail: Option<&str>,
        ) -> Result<(), Error> {
            sqlx::query(
                r#"
                INSERT INTO audit_log (at, staff_id, action, subject, detail)
                VALUES ($1, $2, $3, $4, $5)
                "#,
            )
            .bind(at)
            .bind(staff.map(|s| s.0))
            .bind(action)
            .bind(subject)
            .bind(detail)
            .execute(&mut *conn)
            .await?;
            Ok(())
        }

        #[async_trait]
        impl Store for $Store {
            fn backend(&self) -> Backend {
                $backend
            }

            fn clock(&self) -> &Arc<dyn Clock> {
                &self.clock
            }

            fn with_clock(&self, clock: Arc<dyn Clock>) -> Arc<dyn Store> {
                let mut store = self.clone();
                store.clock = clock;
                Arc::new(store)
            }

            async fn ping(&self) -> Result<(), Error> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn close(&self) {
                self.pool.close().await;
            }

            async fn add_staff(&self, staff: NewStaff) -> Result<Staff, Error> {
                let staff = staff.validate()?;
                let now = DbTime(self.clock.now());
                let mut tx = self.begin_write().await?;
                let id: i64 = sqlx::query(
                    r#"
                    INSERT INTO staff (login, display_name, roles, unit, lead_id, time_zone, language, active, created_at, quiet_hours)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, TRUE, $8, $9)
                    RETURNING id
                    "#,
                )
                .bind(staff.login.as_str())
                .bind(staff.display_name.as_str())
                .bind(format_roles(&staff.roles))
                .bind(staff.unit.as_deref())
                .bind(staff.lead.map(|s| s.0))
                .bind(staff.time_zone.name())
                .bind(staff.language.as_str())
                .bind(now)
                .bind(staff.quiet_hours.map(|q| q.to_string()))
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| match Error::from(e) {
                    Error::Conflict(_) => Error::Conflict(format!("login `{}` is taken", staff.login)),
                    other => other,
                })?
                .try_get("id")?;
                insert_contacts(
                    &mut tx,
                    r#"
                    INSERT INTO staff_contacts (staff_id, position, kind, address)
                    VALUES ($1, $2, $3, $4)
                    "#,
                    id,
                    &staff.contacts,
                )
                .await?;
                insert_audit(&mut tx, now, None, ADD_STAFF, &format!("staff:{id}"), Some(&staff.login)).await?;
                tx.commit().await?;
                self.get_staff(StaffId(id)).await
            }

            async fn get_staff(&self, id: StaffId) -> Result<Staff, Error> {
                let mut conn = self.pool.acquire().await?;
                let row = sqlx::query(concat!(staff_select!(), "WHERE id = $1"))
                    .bind(id.0)
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(Error::NotFound("staff"))?;
                fetch_staff(&mut conn, row).await
            }

            async fn get_staff_by_login(&self, login: &str) -> Result<Staff, Error> {
                let mut conn = self.pool.acquire().await?;
                let row = sqlx::query(concat!(staff_select!(), "WHERE login = $1"))
                    .bind(login.trim().to_lowercase())
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(Error::NotFound("staff"))?;
                fetch_staff(&mut conn, row).await
            }

            async fn list_staff(&self) -> Result<Vec<Staff>, Error> {
                let mut conn = self.pool.acquire().await?;
                let rows = sqlx::query(concat!(staff_select!(), "ORDER BY login"))
                    .fetch_all(&mut *conn)
                    .await?;
                let mut staff = Vec::with_capacity(rows.len());
                for row in rows {
                    staff.push(fetch_staff(&mut conn, row).await?);
                }
                Ok(staff)
            }

            async fn add_case(&self, record: CaseRecord) -> Result<CreatedCase, Error> {
                let now = DbTime(self.clock.now());
                let case = &record.case;
                let progress = &record.progress;
                let mut tx = self.begin_write().await?;
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
                .fetch_one(&mut *tx)
                .await?
                .try_get("last")?;
                let code = CaseCode::new(&record.code_prefix, record.received_on, seq);
                let id: i64 = sqlx::query(
                    r#"
                    INSERT INTO cases (
                        code, access_token_hash, kind, complaint_round, first_case_id, title, content,
                        area, category, channel, citizen_name, publication_consent, published,
                        complex, remote_area, received_at, received_on, status, council_due,
                        extensions, version, created_at, updated_at, source_ref)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, FALSE,
                            $13, $14, $15, $16, $17, $18, 0, 1, $19, $19, $20)
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
                .bind(case.complex)
                .bind(case.remote_area)
                .bind(DbTime(record.received_at))
                .bind(record.received_on)
                .bind(progress.status.as_str())
                .bind(progress.council_due)
                .bind(now)
                .bind(case.source_ref.as_deref())
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| match (Error::from(e), &case.source_ref) {
                    (Error::Conflict(_), Some(source)) => {
                        Error::Conflict(format!("a case from `{source}` is already stored"))
                    }
                    (other, _) => other,
                })?
                .try_get("id")?;
                insert_contacts(
                    &mut tx,
                    r#"
                    INSERT INTO case_contacts (case_id, position, kind, address)
                    VALUES ($1, $2, $3, $4)
                    "#,
                    id,
                    &case.contacts,
                )
                .await?;
                for (position, file) in case.attachments.iter().enumerate() {
                    sqlx::query(
                        r#"
                        INSERT INTO case_attachments (case_id, position, file_name, content_type, size_bytes, sha256)
                        VALUES ($1, $2, $3, $4, $5, $6)
                        "#,
                    )
                    .bind(id)
                    .bind(position as i64)
                    .bind(file.file_name.as_str())
                    .bind(file.content_type.as_str())
                    .bind(file.size_bytes)
                    .bind(file.sha256.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(identity) = &case.denouncer {
                    sqlx::query(
                        r#"
                        INSERT INTO denouncer_identities (case_id, full_name, phone, email, address, contact_kind, contact_address, created_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
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
                    .execute(&mut *tx)
                    .await?;
                }
                let created = NewEvent {
                    kind: EventKind::Created,
                    actor: Actor::Citizen,
                    from: None,
                    to: Some(Status::Received),
                    note: None,
                };
                insert_event(&mut tx, CaseId(id), now, &created).await?;
                let stored = fetch_case(&mut tx, CaseId(id)).await?;
                let notifications = (record.notify.0)(&stored)?;
                let event_key = format!("case:{id}:v{}", stored.version);
                insert_notifications(&mut tx, &event_key, Some(stored.id), &notifications, now).await?;
                tx.commit().await?;
                Ok(CreatedCase {
                    case: stored,
                    access_token: record.access_token,
                })
            }

            async fn get_case(&self, id: CaseId) -> Result<Case, Error> {
                let mut conn = self.pool.acquire().await?;
                fetch_case(&mut conn, id).await
            }

            async fn get_case_by_code(&self, code: &CaseCode) -> Result<Case, Error> {
                let mut conn = self.pool.acquire().await?;
                fetch_case_where(&mut conn, "SELECT id FROM cases WHERE code = $1", code.as_str()).await
            }

            async fn get_case_by_token(&self, token: &AccessToken) -> Result<Case, Error> {
                let mut conn = self.pool.acquire().await?;
                fetch_case_where(&mut conn, "SELECT id FROM cases WHERE access_token_hash = $1", &token.hash()).await
            }

            async fn get_case_by_source_ref(&self, source_ref: &str) -> Result<Case, Error> {
                let mut conn = self.pool.acquire().await?;
                fetch_case_where(&mut conn, "SELECT id FROM cases WHERE source_ref = $1", source_ref).await
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

            async fn count_cases_by_status(&self, exclude_to_cao: bool) -> Result<Vec<(Status, i64)>, Error> {
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
                let p = &change.progress;
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    r#"
                    UPDATE cases
                    SET status = $1, accepted_on = $2, forwarded_on = $3, forwarded_unit = $4,
                        unit_accepted_on = $5, assignee_id = $6, answer = $7, closed_on = $8,
                        council_due = $9, council_paused_on = $10, statutory_due = $11,
                        extensions = $12, version = version + 1, updated_at = $13
                    WHERE id = $14
                      AND status = $15
                      AND version = $16
                    "#,
                )
                .bind(p.status.as_str())
                .bind(p.accepted_on)
                .bind(p.forwarded_on)
                .bind(p.forwarded_unit.as_deref())
                .bind(p.unit_accepted_on)
                .bind(p.assignee.map(|s| s.0))
                .bind(p.answer.as_deref())
                .bind(p.closed_on)
                .bind(p.council_due)
                .bind(p.council_paused_on)
                .bind(p.statutory_due)
                .bind(i64::from(p.extensions))
                .bind(now)
                .bind(change.case_id.0)
                .bind(change.expected_status.as_str())
                .bind(change.expected_version)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let case = record_change(&mut tx, change.case_id, updated, &change.event, now).await?;
                let notifications = (change.notify.0)(&case)?;
                let event_key = format!("case:{}:v{}", case.id, case.version);
                insert_notifications(&mut tx, &event_key, Some(case.id), &notifications, now).await?;
                tx.commit().await?;
                Ok(case)
            }

            async fn update_case_publication(&self, change: PublicationChange) -> Result<Case, Error> {
                let now = DbTime(self.clock.now());
                let public = change.publication.as_ref();
                let mut tx = self.begin_write().await?;
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
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let case = record_change(&mut tx, change.case_id, updated, &change.event, now).await?;
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
                    let actor = match (parse::<ActorKind>(row, "actor")?, row.try_get::<Option<i64>, _>("staff_id")?) {
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
                    SELECT full_name, phone, email, address, contact_kind, contact_address
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
                    chosen_contact: kind.zip(address).map(|(kind, address)| ContactPoint { kind, address }),
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

            async fn enqueue(
                &self,
                event_key: &str,
                case: Option<CaseId>,
                notifications: &[NewNotification],
            ) -> Result<u64, Error> {
                let now = DbTime(self.clock.now());
                let mut tx = self.begin_write().await?;
                let added = insert_notifications(&mut tx, event_key, case, notifications, now).await?;
                tx.commit().await?;
                Ok(added)
            }

            async fn listen_outbox(
                &self,
                wake: Arc<tokio::sync::Notify>,
            ) -> Result<Option<tokio::task::JoinHandle<()>>, Error> {
                Self::listen(&self.pool, wake).await
            }

            async fn claim_outbox(&self, limit: i64, lease: std::time::Duration) -> Result<Vec<OutboxRow>, Error> {
                let now = self.clock.now();
                let until = now + chrono::Duration::from_std(lease).map_err(|e| corrupt(e))?;
                let token = crate::domain::AccessToken::generate().hash();
                let mut tx = self.begin_write().await?;
                // A claimed row is due again when its lease ends: a worker that dies leaves it
                // to the next claim, and one index (status, due_at) serves both cases.
                let rows = sqlx::query(concat!(
                    r#"
                    UPDATE outbox
                    SET status = 'sending', lease_token = $1, lease_until = $2, due_at = $2,
                        attempts = attempts + 1, updated_at = $3, claimed_by = $5
                    WHERE id IN (
                        SELECT id
                        FROM outbox
                        WHERE status IN ('queued', 'sending')
                          AND due_at <= $3
                        LIMIT $4
                        "#,
                    $skip_locked,
                    r#"
                    )
                    RETURNING "#,
                    outbox_columns!()
                ))
                .bind(token.as_str())
                .bind(DbTime(until))
                .bind(DbTime(now))
                .bind(limit)
                .bind(crate::delivery::outbox::instance_name())
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(outbox_from_row)
                .collect::<Result<Vec<_>, _>>()?;
                tx.commit().await?;
                Ok(rows)
            }

            async fn record_outcomes(&self, outcomes: &[(OutboxRow, Outcome)]) -> Result<usize, Error> {
                let now = DbTime(self.clock.now());
                let mut tx = self.begin_write().await?;
                let mut recorded = 0;
                for (row, outcome) in outcomes {
                    recorded += usize::from(record_one(&mut tx, now, row, outcome).await?);
                }
                tx.commit().await?;
                Ok(recorded)
            }

            async fn reserve_pacing(
                &self,
                slots: &[crate::delivery::pacing::PacingSlot],
            ) -> Result<crate::delivery::pacing::Reservation, Error> {
                use crate::delivery::pacing::Reservation;
                let now = self.clock.now();
                if slots.is_empty() {
                    return Ok(Reservation::At(now));
                }
                // A destination free within this much is waited for in hand.
                let soon = now + chrono::Duration::milliseconds(100);
                let mut at = now;
                let mut busy_until = None;
                let mut tx = self.begin_write().await?;
                for slot in slots {
                    sqlx::query("INSERT INTO pacing (key, next_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                        .bind(slot.key.as_str())
                        .bind(DbTime(now))
                        .execute(&mut *tx)
                        .await?;
                    // The row is locked until commit (FOR UPDATE on PostgreSQL; SQLite's write
                    // transaction holds the whole database), so no two sends get one slot.
                    let next: DbTime = sqlx::query(concat!("SELECT next_at FROM pacing WHERE key = $1 ", $for_update))
                        .bind(slot.key.as_str())
                        .fetch_one(&mut *tx)
                        .await?
                        .try_get("next_at")?;
                    if slot.destination && next.0 > soon {
                        busy_until = busy_until.max(Some(next.0));
                    }
                    at = at.max(next.0);
                }
                if let Some(until) = busy_until {
                    tx.commit().await?;
                    return Ok(Reservation::NotBefore(until));
                }
                // One moment for every key: the shared keys then never hold a slot that the
                // send did not use.
                for slot in slots {
                    let every = chrono::Duration::from_std(slot.every).map_err(|e| corrupt(e))?;
                    sqlx::query("UPDATE pacing SET next_at = $1 WHERE key = $2")
                        .bind(DbTime(at + every))
                        .bind(slot.key.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(Reservation::At(at))
            }

            async fn list_outbox(&self, status: Option<OutboxStatus>, limit: i64) -> Result<Vec<OutboxRow>, Error> {
                sqlx::query(concat!(
                    "SELECT ",
                    outbox_columns!(),
                    r#"
                    FROM outbox
                    WHERE ($1 IS NULL OR status = $1)
                    ORDER BY id DESC
                    LIMIT $2
                    "#
                ))
                .bind(status.map(|s| s.as_str()))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(outbox_from_row)
                .collect()
            }

            async fn get_outbox(&self, id: i64) -> Result<OutboxRow, Error> {
                let row = sqlx::query(concat!("SELECT ", outbox_columns!(), " FROM outbox WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(Error::NotFound("outbox row"))?;
                outbox_from_row(&row)
            }

            async fn retry_outbox(&self, id: i64) -> Result<OutboxRow, Error> {
                let now = DbTime(self.clock.now());
                let updated = sqlx::query(
                    r#"
                    UPDATE outbox
                    SET status = 'queued', attempts = 0, due_at = $1, updated_at = $1
                    WHERE id = $2
                      AND status IN ('dead', 'failed')
                    "#,
                )
                .bind(now)
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected();
                let row = self.get_outbox(id).await?;
                if updated == 0 {
                    return Err(Error::Conflict(format!(
                        "outbox row {id} is {}; only dead or failed rows are retried",
                        row.status
                    )));
                }
                Ok(row)
            }

            async fn count_outbox(&self) -> Result<Vec<(OutboxStatus, i64)>, Error> {
                sqlx::query("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status ORDER BY status")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| Ok((parse(row, "status")?, row.try_get("n")?)))
                    .collect()
            }

            async fn add_task(&self, task: NewTask) -> Result<Task, Error> {
                let task = task.validate()?;
                let now = DbTime(self.clock.now());
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    r#"
                    INSERT INTO tasks (title, assignee_id, due_on, status, case_id, created_at, updated_at)
                    VALUES ($1, $2, $3, 'open', $4, $5, $5)
                    RETURNING id, title, assignee_id, due_on, status, case_id
                    "#,
                )
                .bind(task.title.as_str())
                .bind(task.assignee.0)
                .bind(task.due_on)
                .bind(task.case_id.map(|c| c.0))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let task = task_from_row(&row)?;
                tx.commit().await?;
                Ok(task)
            }

            async fn list_tasks(
                &self,
                status: Option<TaskStatus>,
                from: chrono::NaiveDate,
                to: chrono::NaiveDate,
            ) -> Result<Vec<Task>, Error> {
                sqlx::query(
                    r#"
                    SELECT id, title, assignee_id, due_on, status, case_id
                    FROM tasks
                    WHERE ($1 IS NULL OR status = $1)
                      AND due_on >= $2
                      AND due_on <= $3
                    ORDER BY due_on, id
                    "#,
                )
                .bind(status.map(|s| s.as_str()))
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(task_from_row)
                .collect()
            }

            async fn set_task_status(&self, id: i64, status: TaskStatus) -> Result<Task, Error> {
                let now = DbTime(self.clock.now());
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    r#"
                    UPDATE tasks
                    SET status = $1, updated_at = $2
                    WHERE id = $3
                    RETURNING id, title, assignee_id, due_on, status, case_id
                    "#,
                )
                .bind(status.as_str())
                .bind(now)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(Error::NotFound("task"))?;
                let task = task_from_row(&row)?;
                tx.commit().await?;
                Ok(task)
            }

            async fn add_calendar_event(&self, event: NewCalendarEvent) -> Result<CalendarEvent, Error> {
                let event = event.validate()?;
                let now = DbTime(self.clock.now());
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    r#"
                    INSERT INTO calendar_events (title, kind, starts_at, ends_at, place, public, created_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    RETURNING id, title, kind, starts_at, ends_at, place, public
                    "#,
                )
                .bind(event.title.as_str())
                .bind(event.kind.as_str())
                .bind(DbTime(event.starts_at))
                .bind(event.ends_at.map(DbTime))
                .bind(event.place.as_deref())
                .bind(event.public)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let id: i64 = row.try_get("id")?;
                for staff in &event.attendees {
                    sqlx::query("INSERT INTO event_attendees (event_id, staff_id) VALUES ($1, $2)")
                        .bind(id)
                        .bind(staff.0)
                        .execute(&mut *tx)
                        .await?;
                }
                let stored = fetch_calendar_event(&mut tx, &row).await?;
                tx.commit().await?;
                Ok(stored)
            }

            async fn list_calendar_events(
                &self,
                from: chrono::DateTime<chrono::Utc>,
                to: chrono::DateTime<chrono::Utc>,
            ) -> Result<Vec<CalendarEvent>, Error> {
                let mut conn = self.pool.acquire().await?;
                let rows = sqlx::query(
                    r#"
                    SELECT id, title, kind, starts_at, ends_at, place, public
                    FROM calendar_events
                    WHERE starts_at >= $1
                      AND starts_at <= $2
                    ORDER BY starts_at, id
                    "#,
                )
                .bind(DbTime(from))
                .bind(DbTime(to))
                .fetch_all(&mut *conn)
                .await?;
                let mut events = Vec::with_capacity(rows.len());
                for row in &rows {
                    events.push(fetch_calendar_event(&mut conn, row).await?);
                }
                Ok(events)
            }

            async fn list_open_assigned_cases(&self) -> Result<Vec<Case>, Error> {
                let mut conn = self.pool.acquire().await?;
                let ids: Vec<i64> = sqlx::query(
                    r#"
                    SELECT id
                    FROM cases
                    WHERE assignee_id IS NOT NULL
                      AND status IN ('received', 'needs_info', 'accepted', 'forwarded', 'in_progress')
                    ORDER BY id
                    "#,
                )
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|row| row.try_get("id"))
                .collect::<Result<_, _>>()?;
                fetch_cases(&mut conn, ids).await
            }

            async fn set_preference(
                &self,
                staff: StaffId,
                category: Category,
                channel: ChannelKind,
                enabled: bool,
            ) -> Result<(), Error> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    r#"
                    INSERT INTO preferences (staff_id, category, channel, enabled)
                    VALUES ($1, $2, $3, $4)
                    ON CONFLICT (staff_id, category, channel) DO UPDATE SET enabled = $4
                    "#,
                )
                .bind(staff.0)
                .bind(category.as_str())
                .bind(channel.as_str())
                .bind(enabled)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_disabled_preferences(&self) -> Result<Vec<(StaffId, Category, ChannelKind)>, Error> {
                sqlx::query("SELECT staff_id, category, channel FROM preferences WHERE enabled = FALSE")
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map(|row| Ok((StaffId(row.try_get("staff_id")?), parse(row, "category")?, parse(row, "channel")?)))
                    .collect()
            }

            async fn unsubscribe_token(
                &self,
                staff: StaffId,
                category: Category,
                channel: ChannelKind,
            ) -> Result<String, Error> {
                let fresh = AccessToken::generate().expose().to_owned();
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    r#"
                    INSERT INTO unsubscribe_tokens (token, staff_id, category, channel)
                    VALUES ($1, $2, $3, $4)
                    ON CONFLICT (staff_id, category, channel) DO NOTHING
                    "#,
                )
                .bind(fresh.as_str())
                .bind(staff.0)
                .bind(category.as_str())
                .bind(channel.as_str())
                .execute(&mut *tx)
                .await?;
                let token: String = sqlx::query(
                    "SELECT token FROM unsubscribe_tokens WHERE staff_id = $1 AND category = $2 AND channel = $3",
                )
                .bind(staff.0)
                .bind(category.as_str())
                .bind(channel.as_str())
                .fetch_one(&mut *tx)
                .await?
                .try_get("token")?;
                tx.commit().await?;
                Ok(token)
            }

            async fn unsubscribe(&self, token: &str) -> Result<(StaffId, Category, ChannelKind), Error> {
                let row = sqlx::query("SELECT staff_id, category, channel FROM unsubscribe_tokens WHERE token = $1")
                    .bind(token)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or(Error::NotFound("unsubscribe token"))?;
                let found = (StaffId(row.try_get("staff_id")?), parse(&row, "category")?, parse(&row, "channel")?);
                self.set_preference(found.0, found.1, found.2, false).await?;
                Ok(found)
            }

            async fn list_audit(&self, limit: i64) -> Result<Vec<AuditEntry>, Error> {
                sqlx::query(
                    r#"
                    SELECT id, at, staff_id, action, subject, detail
                    FROM audit_log
                    ORDER BY id DESC
                    LIMIT $1
                    "#,
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| {
                    Ok(AuditEntry {
                        id: row.try_get("id")?,
                        at: row.try_get::<DbTime, _>("at")?.0,
                        staff: row.try_get::<Option<i64>, _>("staff_id")?.map(StaffId),
                        action: row.try_get("action")?,
                        subject: row.try_get("subject")?,
                        detail: row.try_get("detail")?,
                    })
                })
                .collect()
            }
        }
    };
}
