//! Files through the hub on both databases: uploads (one blob per content, refusals that leave
//! nothing behind), a case's attachments by file id, information added to an open case, who
//! may read a denunciation's file, and the orphan sweep.

use hdnd_hub::domain::AuditNote;
use std::sync::Arc;

use chrono::Duration;
use hdnd_hub::delivery::render::Renderer;
use hdnd_hub::domain::audit::READ_SEALED_FILE;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{
    Actor, Attachment, CaseKind, EventKind, FileId, Language, NewCase, Role, Status,
};
use hdnd_hub::files::{BlobStore, FileError, FileHash, FileLimits, FilePolicy, FsBlobStore};
use hdnd_hub::schedule::{ScheduleSettings, Scheduler};
use hdnd_hub::{Clock, DomainError, Error, Hub, ManualClock};
use tempfile::TempDir;

use crate::helpers::{TestDb, contract_tests, hub_on, petition, staff};

contract_tests!(
    the_same_bytes_uploaded_twice_are_one_blob_and_two_rows,
    a_renamed_executable_is_refused_by_its_bytes_with_the_vietnamese_message,
    a_file_over_the_limit_is_refused_and_leaves_no_row_and_no_blob,
    a_new_case_reads_its_uploaded_attachments_back_with_their_file_ids,
    a_new_case_is_refused_when_its_uploads_break_the_limits_or_do_not_exist,
    adding_information_to_an_open_case_appends_files_an_event_and_notifies_the_assignee,
    adding_information_is_refused_on_a_closed_case_and_beyond_the_case_limits,
    a_denunciations_file_is_read_only_by_its_officer_and_the_read_is_audited,
    the_orphan_sweep_removes_an_abandoned_upload_and_keeps_a_blob_another_row_needs,
);

/// A hub with a notifier and an `FsBlobStore` in a temporary folder, under `limits`.
struct World {
    hub: Hub,
    clock: Arc<ManualClock>,
    blobs: Arc<FsBlobStore>,
    _dir: TempDir,
}

async fn world(db: &TestDb, limits: FileLimits) -> World {
    let (hub, clock) = hub_on(db).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let blobs = Arc::new(FsBlobStore::open(dir.path()).await.expect("file store"));
    let hub = crate::helpers::with_notifier(hub).with_files(blobs.clone(), FilePolicy::new(limits));
    World {
        hub,
        clock,
        blobs,
        _dir: dir,
    }
}

/// A small PNG (by its bytes) whose content differs by `tag`.
fn png(tag: &str) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend_from_slice(tag.as_bytes());
    bytes
}

/// An attachment naming an upload only; the hub fills in the rest from the `files` row.
fn by_id(id: FileId) -> Attachment {
    Attachment {
        file_name: "ignored.exe".to_owned(),
        content_type: "application/x-ignored".to_owned(),
        size_bytes: 1,
        sha256: "0".repeat(64),
        file_id: Some(id),
    }
}

fn with_files(mut case: NewCase, ids: &[FileId]) -> NewCase {
    case.attachments = ids.iter().copied().map(by_id).collect();
    case
}

async fn the_same_bytes_uploaded_twice_are_one_blob_and_two_rows(db: TestDb) {
    // Arrange
    let w = world(&db, FileLimits::default()).await;
    let bytes = png("ngõ 12");

    // Act
    let first = w
        .hub
        .upload_file("den-hong.png", &bytes, false, None)
        .await
        .unwrap();
    let second = w
        .hub
        .upload_file("IMG_0042.PNG", &bytes, false, None)
        .await
        .unwrap();

    // Assert
    assert_ne!(first.id, second.id);
    assert_eq!(first.hash, second.hash);
    assert_eq!(first.hash, FileHash::of(&bytes));
    assert_eq!(w.blobs.list().await.unwrap(), vec![first.hash.clone()]);
    let stored = w.hub.store().get_file(second.id).await.unwrap();
    assert_eq!(stored, second);
    assert_eq!(stored.name, "IMG_0042.png");
    assert_eq!(stored.content_type.mime(), "image/png");
    assert_eq!(stored.case, None);
    assert!(!stored.sealed);
}

async fn a_renamed_executable_is_refused_by_its_bytes_with_the_vietnamese_message(db: TestDb) {
    // Arrange
    let w = world(&db, FileLimits::default()).await;
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0 payload";

    // Act
    let refused = w.hub.upload_file("don-to-cao.pdf", elf, false, None).await;

    // Assert
    let Err(Error::File(error)) = refused else {
        panic!("an executable must be refused: {refused:?}");
    };
    assert!(error.is_refusal());
    let message = error.message(Language::Vi);
    assert!(
        message.starts_with("Loại tệp này không được chấp nhận (chương trình chạy được)."),
        "{message}"
    );
    assert!(w.blobs.list().await.unwrap().is_empty());
}

async fn a_file_over_the_limit_is_refused_and_leaves_no_row_and_no_blob(db: TestDb) {
    // Arrange
    let w = world(
        &db,
        FileLimits {
            max_file_bytes: 64,
            ..FileLimits::default()
        },
    )
    .await;
    let big = png(&"x".repeat(100));

    // Act
    let refused = w.hub.upload_file("big.png", &big, false, None).await;

    // Assert
    let Err(Error::File(error @ FileError::TooLarge { .. })) = refused else {
        panic!("a file over the limit must be refused: {refused:?}");
    };
    assert_eq!(
        error.message(Language::En),
        "The file is too large: 116 B; the limit is 64 B."
    );
    assert!(w.blobs.list().await.unwrap().is_empty());
    let far_future = w.clock.now() + Duration::days(365);
    let rows = w
        .hub
        .store()
        .list_unreferenced_files(far_future)
        .await
        .unwrap();
    assert!(rows.is_empty(), "{rows:?}");
}

async fn a_new_case_reads_its_uploaded_attachments_back_with_their_file_ids(db: TestDb) {
    // Arrange
    let w = world(&db, FileLimits::default()).await;
    let photo = w
        .hub
        .upload_file("C:\\Ảnh\\đèn hỏng.png", &png("photo"), false, None)
        .await
        .unwrap();
    let map = w
        .hub
        .upload_file("so-do.png", &png("map"), false, None)
        .await
        .unwrap();

    // Act
    let created = w
        .hub
        .submit_case(with_files(petition(), &[photo.id, map.id]))
        .await
        .unwrap()
        .case;
    let read = w.hub.store().get_case(created.id).await.unwrap();

    // Assert: the stored facts, not the caller's, in the order given.
    assert_eq!(read.attachments, created.attachments);
    let ids: Vec<_> = read.attachments.iter().map(|a| a.file_id).collect();
    assert_eq!(ids, vec![Some(photo.id), Some(map.id)]);
    let first = &read.attachments[0];
    assert_eq!(first.file_name, photo.name);
    assert_eq!(first.content_type, "image/png");
    assert_eq!(first.size_bytes, photo.size);
    assert_eq!(first.sha256, photo.hash.as_str());
    let attached = w.hub.store().get_file(photo.id).await.unwrap();
    assert_eq!(attached.case, Some(created.id));
}

async fn a_new_case_is_refused_when_its_uploads_break_the_limits_or_do_not_exist(db: TestDb) {
    // Arrange
    let w = world(
        &db,
        FileLimits {
            max_case_files: 1,
            ..FileLimits::default()
        },
    )
    .await;
    let a = w
        .hub
        .upload_file("a.png", &png("a"), false, None)
        .await
        .unwrap();
    let b = w
        .hub
        .upload_file("b.png", &png("b"), false, None)
        .await
        .unwrap();

    // Act
    let too_many = w
        .hub
        .submit_case(with_files(petition(), &[a.id, b.id]))
        .await;
    let unknown = w
        .hub
        .submit_case(with_files(petition(), &[FileId(a.id.0 + 1000)]))
        .await;
    w.hub
        .submit_case(with_files(petition(), &[a.id]))
        .await
        .unwrap();
    let taken = w.hub.submit_case(with_files(petition(), &[a.id])).await;

    // Assert
    assert!(
        matches!(
            too_many,
            Err(Error::File(FileError::TooManyFiles { limit: 1 }))
        ),
        "{too_many:?}"
    );
    assert!(
        matches!(
            unknown,
            Err(Error::Domain(DomainError::Invalid { field: "files", .. }))
        ),
        "{unknown:?}"
    );
    assert!(
        matches!(&taken, Err(Error::Domain(DomainError::Invalid { reason, .. })) if reason.contains("already attached")),
        "{taken:?}"
    );
    assert_eq!(
        w.hub
            .store()
            .count_cases(&Default::default())
            .await
            .unwrap(),
        1
    );
}

async fn adding_information_to_an_open_case_appends_files_an_event_and_notifies_the_assignee(
    db: TestDb,
) {
    // Arrange: a petition with one photo, accepted and assigned to a specialist.
    let w = world(&db, FileLimits::default()).await;
    let store = w.hub.store().clone();
    let intake = store
        .add_staff(
            staff("tam.cao", &[Role::Intake, Role::Secretary]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let expert = store
        .add_staff(
            staff("son.kha", &[Role::Specialist]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let photo = w
        .hub
        .upload_file("anh.png", &png("photo"), false, None)
        .await
        .unwrap();
    let created = w
        .hub
        .submit_case(with_files(petition(), &[photo.id]))
        .await
        .unwrap();
    let capability = w
        .hub
        .capability_by_token(&created.access_token)
        .await
        .unwrap();
    let case = created.case;
    let me = Actor::Staff(intake.id);
    w.hub
        .transition(case.id, TransitionRequest::to(Status::Accepted, me))
        .await
        .unwrap();
    let assigned = w
        .hub
        .transition(
            case.id,
            TransitionRequest::to(Status::InProgress, me).with_assignee(expert.id),
        )
        .await
        .unwrap();
    let queued_before = store.list_outbox(None, 100).await.unwrap().len();
    let receipt = w
        .hub
        .upload_file("bien-lai.png", &png("receipt"), false, Some(case.id))
        .await
        .unwrap();

    // Act: the citizen sends a receipt with a note.
    let updated = w
        .hub
        .add_information_as_citizen(
            &capability,
            Some("  Gửi thêm biên lai sửa chữa lần trước.  ".to_owned()),
            vec![receipt.id],
        )
        .await
        .unwrap();

    // Assert: the file after the case's own, the event with the text, the version moved.
    let ids: Vec<_> = updated.attachments.iter().map(|a| a.file_id).collect();
    assert_eq!(ids, vec![Some(photo.id), Some(receipt.id)]);
    assert_eq!(updated.version, assigned.version + 1);
    assert_eq!(updated.progress, assigned.progress);
    let timeline = store.get_timeline(case.id).await.unwrap();
    let last = timeline.last().unwrap();
    assert_eq!(last.kind, EventKind::InformationAdded);
    assert_eq!(last.actor, Actor::Citizen);
    assert_eq!(
        last.note.as_deref(),
        Some("Gửi thêm biên lai sửa chữa lần trước.")
    );
    // One notification, to the assignee alone.
    let outbox = store.list_outbox(None, 100).await.unwrap();
    assert_eq!(outbox.len(), queued_before + 1, "{outbox:?}");
    let newest = &outbox[0];
    assert_eq!(newest.address, "son.kha@council.example");
    assert!(
        newest
            .dedupe_key
            .ends_with(&format!("staff:{}:info", expert.id)),
        "{}",
        newest.dedupe_key
    );
    assert!(
        newest.subject.contains(case.code.as_str()),
        "{}",
        newest.subject
    );

    // The assignee adding a note hears nothing of it.
    w.hub
        .add_information(
            case.id,
            Actor::Staff(expert.id),
            Some("Đã liên hệ đơn vị điện lực.".to_owned()),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        store.list_outbox(None, 100).await.unwrap().len(),
        queued_before + 1
    );
}

async fn adding_information_is_refused_on_a_closed_case_and_beyond_the_case_limits(db: TestDb) {
    // Arrange: two files at most per case; one open case with one file, one rejected case.
    let w = world(
        &db,
        FileLimits {
            max_case_files: 2,
            ..FileLimits::default()
        },
    )
    .await;
    let intake = w
        .hub
        .store()
        .add_staff(staff("tam.cao", &[Role::Intake]), &AuditNote::operator())
        .await
        .unwrap();
    let first = w
        .hub
        .upload_file("1.png", &png("1"), false, None)
        .await
        .unwrap();
    let open = w
        .hub
        .submit_case(with_files(petition(), &[first.id]))
        .await
        .unwrap()
        .case;
    let closed = w.hub.submit_case(petition()).await.unwrap().case;
    w.hub
        .transition(
            closed.id,
            TransitionRequest::to(Status::Rejected, Actor::Staff(intake.id))
                .with_text("Không thuộc thẩm quyền."),
        )
        .await
        .unwrap();
    let mut uploads = Vec::new();
    for tag in ["2", "3"] {
        let file = w
            .hub
            .upload_file("x.png", &png(tag), false, None)
            .await
            .unwrap();
        uploads.push(file.id);
    }

    // Act
    let on_closed = w
        .hub
        .add_information(
            closed.id,
            Actor::Staff(intake.id),
            Some("Thêm".to_owned()),
            vec![],
        )
        .await;
    let upload_on_closed = w
        .hub
        .upload_file("y.png", &png("4"), false, Some(closed.id))
        .await;
    let over = w
        .hub
        .add_information(open.id, Actor::Staff(intake.id), None, uploads.clone())
        .await;
    let fits = w
        .hub
        .add_information(open.id, Actor::Staff(intake.id), None, vec![uploads[0]])
        .await;

    // Assert
    for refused in [on_closed.map(|_| ()), upload_on_closed.map(|_| ())] {
        assert!(
            matches!(&refused, Err(Error::Domain(DomainError::Invalid { field: "case", reason })) if reason.contains("closed")),
            "{refused:?}"
        );
    }
    assert!(
        matches!(over, Err(Error::File(FileError::TooManyFiles { limit: 2 }))),
        "{over:?}"
    );
    assert_eq!(fits.unwrap().attachments.len(), 2);
    let timeline = w.hub.store().get_timeline(closed.id).await.unwrap();
    assert!(
        timeline
            .iter()
            .all(|e| e.kind != EventKind::InformationAdded)
    );
}

async fn a_denunciations_file_is_read_only_by_its_officer_and_the_read_is_audited(db: TestDb) {
    // Arrange
    let w = world(&db, FileLimits::default()).await;
    let store = w.hub.store().clone();
    let specialist = store
        .add_staff(
            staff("son.kha", &[Role::Specialist, Role::Lead]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let officer = store
        .add_staff(
            staff("lam.tu", &[Role::DenunciationOfficer]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let bytes = png("hóa đơn thu tiền");
    let evidence = w
        .hub
        .upload_file("hoa-don.png", &bytes, false, None)
        .await
        .unwrap();
    let mut denunciation = crate::identity_canary::denunciation();
    denunciation.attachments = vec![by_id(evidence.id)];
    let case = w.hub.submit_case(denunciation).await.unwrap().case;
    assert_eq!(case.kind, CaseKind::ToCao);
    let other = w.hub.submit_case(petition()).await.unwrap().case;

    // Act
    let by_specialist = w
        .hub
        .read_attachment(specialist.id, case.id, evidence.id)
        .await;
    let (record, read) = w
        .hub
        .read_attachment(officer.id, case.id, evidence.id)
        .await
        .unwrap();
    let elsewhere = w
        .hub
        .read_attachment(specialist.id, other.id, evidence.id)
        .await;

    // Assert
    assert!(
        matches!(by_specialist, Err(Error::Domain(DomainError::Forbidden(_)))),
        "{by_specialist:?}"
    );
    assert_eq!(read, bytes);
    assert!(record.sealed, "a denunciation's upload is sealed");
    assert!(
        matches!(elsewhere, Err(Error::NotFound(_))),
        "{elsewhere:?}"
    );
    let audit = store.list_audit(10).await.unwrap();
    let reads: Vec<_> = audit
        .iter()
        .filter(|a| a.action == READ_SEALED_FILE)
        .collect();
    assert_eq!(reads.len(), 1, "{audit:?}");
    assert_eq!(reads[0].staff, Some(officer.id));
    assert_eq!(reads[0].subject, format!("file:{}", evidence.id));
    assert_eq!(
        reads[0].detail.as_deref(),
        Some(&*format!("case:{}", case.id))
    );
}

async fn the_orphan_sweep_removes_an_abandoned_upload_and_keeps_a_blob_another_row_needs(
    db: TestDb,
) {
    // Arrange: the same photo twice (once abandoned, once filed), another abandoned file, and
    // a day later a fresh upload still in its dialogue.
    let w = world(&db, FileLimits::default()).await;
    let shared = png("shared");
    let abandoned = w
        .hub
        .upload_file("a.png", &shared, false, None)
        .await
        .unwrap();
    let filed = w
        .hub
        .upload_file("b.png", &shared, false, None)
        .await
        .unwrap();
    let lonely = w
        .hub
        .upload_file("c.png", &png("lonely"), false, None)
        .await
        .unwrap();
    w.hub
        .submit_case(with_files(petition(), &[filed.id]))
        .await
        .unwrap();
    w.clock.advance(Duration::hours(25));
    let fresh = w
        .hub
        .upload_file("d.png", &png("fresh"), false, None)
        .await
        .unwrap();
    let blobs: Arc<dyn BlobStore> = w.blobs.clone();
    let scheduler = Scheduler::new(
        w.hub.clone(),
        Arc::new(Renderer::builtin()),
        ScheduleSettings::default(),
        "https://hdnd.example",
    )
    .unwrap()
    .with_files(blobs, std::time::Duration::from_secs(24 * 3600));

    // Act
    scheduler.tick().await.unwrap();

    // Assert
    let store = w.hub.store();
    for gone in [abandoned.id, lonely.id] {
        assert!(matches!(
            store.get_file(gone).await,
            Err(Error::NotFound(_))
        ));
    }
    assert!(store.get_file(filed.id).await.is_ok());
    assert!(store.get_file(fresh.id).await.is_ok());
    assert!(w.blobs.exists(&filed.hash).await.unwrap());
    assert!(!w.blobs.exists(&lonely.hash).await.unwrap());
    assert!(w.blobs.exists(&fresh.hash).await.unwrap());
}
