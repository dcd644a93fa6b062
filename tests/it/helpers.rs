//! Shared test set-up: a fresh database per test on either backend, a fixed clock, demo-shaped
//! inputs, and captured tracing output.

use std::io::Write;
use std::sync::{Arc, Mutex, Once, OnceLock};

use chrono::{DateTime, TimeZone, Utc};
use hdnd_hub::domain::{
    CaseKind, ContactKind, ContactPoint, CouncilProfile, Language, NewCase, NewStaff, Role,
    SourceChannel,
};
use hdnd_hub::{Clock, Hub, ManualClock, Store};
use sqlx::Connection;

/// The environment variable naming the PostgreSQL server for tests.
pub(crate) const PG_URL_VAR: &str = "TEST_DATABASE_URL";

/// A database made for one test, removed when the test ends (unless HDND_KEEP_TEST_DB is set).
pub(crate) struct TestDb {
    pub(crate) url: String,
    kind: Kind,
}

enum Kind {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub(crate) async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/hdnd.db", dir.path().display());
        TestDb {
            url,
            kind: Kind::Sqlite(dir),
        }
    }

    /// A fresh database on the server of TEST_DATABASE_URL, or `None` (with a note on the
    /// terminal) when it is not set. With HDND_REQUIRE_POSTGRES=1 a skip is a failure.
    pub(crate) async fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var(PG_URL_VAR) else {
            if std::env::var("HDND_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("HDND_REQUIRE_POSTGRES=1 but {PG_URL_VAR} is not set");
            }
            note_postgres_skipped();
            return None;
        };
        let name = format!("hdnd_test_{:016x}", rand::random::<u64>());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {PG_URL_VAR}: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = with_database(&admin_url, &name);
        Some(TestDb {
            url,
            kind: Kind::Postgres { admin_url, name },
        })
    }

    /// Opens a store (running the migrations) with `clock`; each call opens another store on
    /// the same database, so that a test can write with one clock and read with another.
    pub(crate) async fn open(&self, clock: Arc<dyn Clock>) -> Arc<dyn Store> {
        hdnd_hub::storage::open(&self.url, clock)
            .await
            .expect("open store")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Kind::Postgres { admin_url, name } = &self.kind else {
            return;
        };
        if std::env::var_os("HDND_KEEP_TEST_DB").is_some() {
            eprintln!("kept test database {name}");
            return;
        }
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime, which cannot block on itself: use a thread with
        // its own small runtime.
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join()
        .ok();
    }
}

fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    format!("{root}/{name}{query}")
}

fn note_postgres_skipped() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Written to the real stderr, past libtest's capture, so `cargo test` shows it.
        let _ = writeln!(
            std::io::stderr(),
            "note: PostgreSQL tests skipped ({PG_URL_VAR} is not set; e.g. {PG_URL_VAR}=postgres://postgres@127.0.0.1:5432/test)"
        );
    });
}

/// 09:30 on Thursday 26 November 2026 in Hải Phòng.
pub(crate) fn morning() -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh
        .with_ymd_and_hms(2026, 11, 26, 9, 30, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A hub on `db` with the demo profile and a clock set to [`morning`].
pub(crate) async fn hub_on(db: &TestDb) -> (Hub, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(morning()));
    let store = db.open(clock.clone()).await;
    (Hub::new(store, Arc::new(CouncilProfile::demo())), clock)
}

/// `hub` with the notifier of the built-in templates, signing staff buttons with the hub's
/// key as `hdnd serve` does: every case change enqueues its messages.
pub(crate) fn with_notifier(hub: Hub) -> Hub {
    let notifier = hdnd_hub::delivery::notify::Notifier::new(
        Arc::new(hdnd_hub::delivery::render::Renderer::builtin()),
        hub.profile().clone(),
        "hongbang.example",
    )
    .with_button_key(hub.button_key());
    hub.with_notifier(Arc::new(notifier))
}

/// [`hub_on`] with the notifier on.
pub(crate) async fn notifying_hub(db: &TestDb) -> (Hub, Arc<ManualClock>) {
    let (hub, clock) = hub_on(db).await;
    (with_notifier(hub), clock)
}

/// A fictional citizen's petition about street lights.
pub(crate) fn petition() -> NewCase {
    NewCase {
        kind: CaseKind::KienNghi,
        complaint_round: None,
        first_case: None,
        title: "Đèn chiếu sáng ngõ 12 bị hỏng".to_owned(),
        content: "Đèn chiếu sáng ngõ 12 phố Hoàng Văn Thụ hỏng đã hai tuần, đề nghị sửa chữa."
            .to_owned(),
        area: Some("hoang-van-thu".to_owned()),
        category: Some("giao-thong".to_owned()),
        channel: SourceChannel::Telegram,
        citizen_name: Some("Phạm Thị Hoa".to_owned()),
        citizen_address: None,
        citizen_id_number: None,
        contacts: vec![ContactPoint {
            kind: ContactKind::Email,
            address: "hoa.pham@example.org".to_owned(),
        }],
        attachments: vec![],
        publication_consent: true,
        complex: false,
        remote_area: false,
        denouncer: None,
        source_ref: None,
        language: Language::Vi,
    }
}

/// The due date of one of a case's clocks (`None`: not running, or unknown).
pub(crate) fn due(
    case: &hdnd_hub::domain::Case,
    clock: hdnd_hub::domain::ClockKind,
) -> Option<chrono::NaiveDate> {
    case.progress.clocks.get(clock).and_then(|c| c.due)
}

/// A fictional staff member with the given roles.
pub(crate) fn staff(login: &str, roles: &[Role]) -> NewStaff {
    NewStaff {
        login: login.to_owned(),
        display_name: format!("Cán bộ {login}"),
        roles: roles.to_vec(),
        unit: Some("van-phong".to_owned()),
        lead: None,
        time_zone: chrono_tz::Asia::Ho_Chi_Minh,
        language: Language::Vi,
        contacts: vec![ContactPoint {
            kind: ContactKind::Email,
            address: format!("{login}@council.example"),
        }],
        quiet_hours: None,
    }
}

/// Everything every test logged, at every level, since the first call.
pub(crate) fn captured_logs() -> &'static Mutex<Vec<u8>> {
    static BUFFER: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || CaptureWriter(buffer))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one global subscriber");
        buffer
    })
}

struct CaptureWriter(&'static Mutex<Vec<u8>>);

impl Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        if std::env::var_os("TEST_LOG").is_some() {
            std::io::stderr().write_all(bytes)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Declares each listed `async fn(TestDb)` as two tests, `sqlite::<name>` and
/// `postgres::<name>`, so the contract is written once and runs on both backends.
macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::helpers::TestDb::sqlite().await).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = crate::helpers::TestDb::postgres().await {
                        super::$name(db).await;
                    }
                }
            )+
        }
    };
}
pub(crate) use contract_tests;

/// `hdnd --config <config> serve --port 0` in `dir` against `database_url`, quiet.
pub(crate) fn start_serving(
    dir: &std::path::Path,
    config: &std::path::Path,
    database_url: &str,
) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_hdnd"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("HDND_DATABASE__URL", database_url)
        .env("RUST_LOG", "warn")
        .args(["--config", config.to_str().unwrap(), "serve", "--port", "0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Waits (at most 90 s) until `n` outbox rows are sent.
pub(crate) async fn wait_all_sent(store: &Arc<dyn Store>, n: i64) {
    use hdnd_hub::delivery::outbox::OutboxStatus;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let counts = store.count_outbox().await.unwrap();
        let sent = counts
            .iter()
            .find(|(s, _)| *s == OutboxStatus::Sent)
            .map_or(0, |c| c.1);
        if sent >= n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not all sent: {counts:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Moves a case as its citizen, with the capability of its access token.
pub(crate) async fn as_citizen(
    hub: &Hub,
    token: &hdnd_hub::domain::AccessToken,
    request: hdnd_hub::domain::TransitionRequest,
) -> Result<hdnd_hub::domain::Case, hdnd_hub::Error> {
    let capability = hub.capability_by_token(token).await?;
    hub.transition_as_citizen(&capability, request).await
}

/// Stores and claims one Telegram update, for a completion built by hand (the bot's part).
pub(crate) async fn claimed_update(hub: &Hub, update_id: u32) -> hdnd_hub::domain::InboundRow {
    hub.store()
        .add_inbound(hdnd_hub::domain::NewInbound {
            source: hdnd_hub::domain::InboundSource::Telegram,
            key: hdnd_hub::domain::ExternalKey::telegram(777_000_333, update_id),
            payload: b"{}".to_vec(),
            sealed: false,
        })
        .await
        .unwrap();
    let mut rows = hub
        .store()
        .claim_inbound(10, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    rows.remove(0)
}

/// The portal on `hub` as the tests build it: built-in templates, no webhook, no bot name,
/// `/metrics` off.
pub(crate) fn portal_state(hub: Hub) -> hdnd_web::AppState {
    hdnd_web::AppState {
        hub,
        views: Arc::new(hdnd_web::Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    }
}

/// One GET through a fresh router on `state`: the status and the page.
pub(crate) async fn portal_page(
    state: &hdnd_web::AppState,
    path: &str,
) -> (axum::http::StatusCode, String) {
    use tower::ServiceExt;
    let response = hdnd_web::router(state.clone())
        .oneshot(
            axum::http::Request::get(path)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}
