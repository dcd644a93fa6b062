//! The real `hdnd` binary: started on port 0 against a fresh database, read over HTTP, stopped
//! with signals; and its refusals to start on bad configuration.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::TestDb;
use crate::http::{get, read_response};

/// A running `hdnd serve`.
struct Hdnd {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

/// The `hdnd` binary, in an empty working folder, with none of the caller's settings.
fn hdnd(dir: &Path, database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hdnd"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("HDND_CONFIG")
        .env("HDND_DATABASE__URL", database_url)
        .env("HDND_DATABASE__CONNECT_TIMEOUT_SECS", "3")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

impl Hdnd {
    /// Starts `hdnd serve --port 0` and waits for the line with its address.
    async fn start(database_url: &str) -> Hdnd {
        let dir = tempfile::tempdir().unwrap();
        let mut child = hdnd(dir.path(), database_url)
            .args(["serve", "--port", "0"])
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("hdnd: portal at http://") {
                    return url.trim_end_matches('/').to_owned();
                }
            }
            panic!("hdnd exited before serving");
        })
        .await
        .expect("hdnd serves within 60 s");
        Hdnd {
            child,
            addr,
            _dir: dir,
        }
    }

    fn sigterm(&self) {
        let pid = self.child.id().expect("running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    async fn exit_code(mut self) -> Option<i32> {
        tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("hdnd exits within 30 s")
            .unwrap()
            .code()
    }
}

/// What a demo citizen or denouncer wrote in, that no public page may show.
const PERSONAL: &[&str] = &[
    "Nguyễn Văn An",
    "an.nguyen@example.com",
    "Người tố cáo",
    "to-cao-1@example.net",
    "Trần Thị Bình",
];

#[tokio::test]
async fn the_binary_serves_the_demo_portal_over_http() {
    // Arrange
    let db = TestDb::sqlite().await;
    let app = Hdnd::start(&db.url).await;

    // Act
    let health = get(&app.addr, "/healthz").await;
    let ready = get(&app.addr, "/readyz").await;
    let home = get(&app.addr, "/").await;
    let list = get(&app.addr, "/ho-so").await;
    let first_link = list
        .body
        .split("href=\"/ho-so/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let case = get(&app.addr, &format!("/ho-so/{first_link}")).await;
    // The first demo denunciation was the only case received on 12 October 2026.
    let denunciation = get(&app.addr, "/ho-so/HB.20261012.0001").await;
    let unpublished = get(&app.addr, "/ho-so/HB.20261120.0001").await;
    let lookup = get(
        &app.addr,
        &format!("/tra-cuu?ma={}", first_link.to_lowercase()),
    )
    .await;
    let bad_lookup = get(&app.addr, "/tra-cuu?ma=%3Cscript%3E").await;
    let missing = get(&app.addr, "/khong-co-trang-nay").await;
    let css = get(&app.addr, "/static/site.css").await;

    // Assert
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
    assert_eq!((ready.status, ready.body.as_str()), (200, "ready"));
    assert_eq!(home.status, 200);
    assert!(home.body.contains("<html lang=\"vi\">"));
    assert!(home.body.contains("Hội đồng nhân dân phường Hồng Bàng"));
    assert!(home.body.contains("đã giải quyết"));
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains("15 hồ sơ"),
        "the demo publishes 15 cases"
    );
    assert!(list.body.contains("Sửa đèn chiếu sáng ngõ 12"));
    assert_eq!(case.status, 200);
    assert!(case.body.contains("Quá trình xử lý"));
    assert!(case.body.contains(&format!(
        "Mã hồ sơ <span class=\"code\">{first_link}</span>"
    )));
    assert_eq!(denunciation.status, 404);
    assert!(denunciation.body.contains("Không tìm thấy"));
    assert_eq!(unpublished.status, 404);
    assert_eq!(lookup.status, 303);
    assert_eq!(
        lookup.header("location"),
        Some(format!("/ho-so/{first_link}").as_str())
    );
    assert_eq!(bad_lookup.status, 400);
    assert!(
        bad_lookup.body.contains("&lt;script&gt;"),
        "input is escaped"
    );
    assert!(!bad_lookup.body.contains("<script>"));
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("<html lang=\"vi\">")
            && missing.body.contains("Không tìm thấy trang")
    );
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    for page in [&home, &list, &case, &denunciation, &missing] {
        for secret in PERSONAL {
            assert!(
                !page.body.contains(secret),
                "a public page shows `{secret}`"
            );
        }
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    }
    app.sigterm();
    assert_eq!(app.exit_code().await, Some(0));
}

#[tokio::test]
async fn sigterm_stops_an_idle_server_with_exit_code_zero() {
    let db = TestDb::sqlite().await;
    let app = Hdnd::start(&db.url).await;
    assert_eq!(get(&app.addr, "/healthz").await.status, 200);
    app.sigterm();
    assert_eq!(app.exit_code().await, Some(0));
}

/// A request held up in the database (the test locks the table it reads) is in flight when
/// SIGTERM arrives: it completes, then the process exits 0.
#[tokio::test]
async fn sigterm_during_a_slow_request_lets_it_finish_and_exits_zero() {
    use sqlx::Connection;

    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let app = Hdnd::start(&db.url).await;
    let mut locker = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut locker).await.unwrap();
    sqlx::query("LOCK TABLE cases IN ACCESS EXCLUSIVE MODE")
        .execute(&mut locker)
        .await
        .unwrap();

    // Act: a request that waits on the lock, then the signal.
    let addr = app.addr.clone();
    let request = tokio::spawn(async move {
        let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let head = format!("GET /ho-so HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        read_response(stream).await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!request.is_finished(), "the request waits on the lock");
    app.sigterm();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !request.is_finished(),
        "the request is still in flight after SIGTERM"
    );
    sqlx::query("COMMIT").execute(&mut locker).await.unwrap();

    // Assert
    let response = request.await.unwrap();
    assert_eq!(response.status, 200);
    assert!(response.body.contains("hồ sơ"));
    assert_eq!(app.exit_code().await, Some(0));
}

#[tokio::test]
async fn two_servers_started_together_on_one_postgres_both_serve_one_demo() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };

    // Act: both migrate and seed the empty database at the same moment.
    let (a, b) = tokio::join!(Hdnd::start(&db.url), Hdnd::start(&db.url));

    // Assert: both serve the same demo, seeded once.
    for app in [&a, &b] {
        assert_eq!(get(&app.addr, "/readyz").await.status, 200);
        assert!(get(&app.addr, "/ho-so").await.body.contains("15 hồ sơ"));
    }
    let hub_store = hdnd_hub::storage::open(&db.url, std::sync::Arc::new(hdnd_hub::SystemClock))
        .await
        .unwrap();
    assert_eq!(
        hub_store.count_cases(&Default::default()).await.unwrap(),
        35,
        "33 dated cases and 2 of today"
    );
    assert_eq!(hub_store.list_staff().await.unwrap().len(), 5);
    a.sigterm();
    b.sigterm();
    assert_eq!(a.exit_code().await, Some(0));
    assert_eq!(b.exit_code().await, Some(0));
}

/// Runs `hdnd <args>` to completion in `dir`; returns its exit code and stderr.
async fn run(dir: &Path, database_url: &str, args: &[&str]) -> (Option<i32>, String) {
    let out = hdnd(dir, database_url).args(args).output().await.unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn a_bad_setting_names_file_key_and_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hdnd.toml");
    std::fs::write(
        &config,
        "[web]\nhost = \"127.0.0.1\"\nport = \"tám nghìn\"\n",
    )
    .unwrap();
    let db_file = dir.path().join("data").join("hdnd.db");
    let url = format!("sqlite://{}", db_file.display());

    let (code, stderr) = run(
        dir.path(),
        &url,
        &["--config", config.to_str().unwrap(), "serve"],
    )
    .await;

    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{}:3: `web.port`", config.display())),
        "{stderr}"
    );
    assert!(
        !db_file.exists() && !dir.path().join("data").exists(),
        "nothing may be written"
    );
}

#[tokio::test]
async fn a_bad_council_profile_names_file_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("council.toml");
    let text = hdnd_hub::domain::profile::DEMO_PROFILE
        .replace("\"Asia/Ho_Chi_Minh\"", "\"Asia/Hai_Phong\"");
    std::fs::write(&profile, &text).unwrap();
    let line = text[..text.find("Asia/Hai_Phong").unwrap()]
        .matches('\n')
        .count()
        + 1;
    let url = format!("sqlite://{}/hdnd.db", dir.path().display());

    let (code, stderr) = run(dir.path(), &url, &["config", "check"]).await;
    assert_eq!(code, Some(0), "the demo profile is fine: {stderr}");
    let mut cmd = hdnd(dir.path(), &url);
    let out = cmd
        .env("HDND_COUNCIL__PROFILE", &profile)
        .args(["serve"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);

    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{}:{line}: `council.time_zone`",
            profile.display()
        )),
        "{stderr}"
    );
    assert!(
        !dir.path().join("hdnd.db").exists(),
        "nothing may be written"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there.
    let (code, stderr) = run(
        dir.path(),
        "postgres://postgres@127.0.0.1:1/hdnd",
        &["serve"],
    )
    .await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot open the database postgres://postgres@127.0.0.1:1/hdnd"),
        "{stderr}"
    );
    assert!(stderr.to_lowercase().contains("refused"), "{stderr}");
}

#[tokio::test]
async fn a_data_folder_that_cannot_be_created_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    // A file stands where the data folder should be created.
    std::fs::write(dir.path().join("data"), "not a folder").unwrap();
    let url = format!("sqlite://{}/data/db/hdnd.db", dir.path().display());
    let (code, stderr) = run(dir.path(), &url, &["serve"]).await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot create the data folder"), "{stderr}");
}

#[tokio::test]
async fn staff_are_added_from_the_command_line_and_seeding_twice_adds_nothing() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let add = [
        "staff",
        "add",
        "--login",
        "hoa.le",
        "--name",
        "Lê Thị Hoa",
        "--role",
        "chuyen_vien",
        "--role",
        "tiep_nhan",
        "--email",
        "hoa.le@council.example",
    ];
    let (code, stderr) = run(dir.path(), &db.url, &add).await;
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stderr) = run(dir.path(), &db.url, &add).await;
    assert_eq!(code, Some(1), "a taken login fails: {stderr}");
    assert!(stderr.contains("hoa.le"), "{stderr}");
    let (code, stderr) = run(
        dir.path(),
        &db.url,
        &[
            "staff", "add", "--login", "x.y", "--name", "X", "--role", "sep",
        ],
    )
    .await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("vai trò hợp lệ"), "{stderr}");

    for _ in 0..2 {
        let (code, stderr) = run(dir.path(), &db.url, &["seed-demo"]).await;
        assert_eq!(code, Some(0), "{stderr}");
    }
    let store = hdnd_hub::storage::open(&db.url, std::sync::Arc::new(hdnd_hub::SystemClock))
        .await
        .unwrap();
    assert_eq!(store.count_cases(&Default::default()).await.unwrap(), 35);
    assert_eq!(store.list_staff().await.unwrap().len(), 6);
}

#[tokio::test]
async fn tasks_and_events_are_added_and_listed_from_the_command_line() {
    let db = TestDb::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let add_staff = [
        "staff",
        "add",
        "--login",
        "minh.le",
        "--name",
        "Lê Văn Minh",
        "--role",
        "chuyen_vien",
    ];
    assert_eq!(run(dir.path(), &db.url, &add_staff).await.0, Some(0));
    let task = [
        "task",
        "add",
        "--title",
        "Tổng hợp ý kiến cử tri",
        "--assignee",
        "minh.le",
        "--due",
        "2099-12-01",
    ];
    let (code, stderr) = run(dir.path(), &db.url, &task).await;
    assert_eq!(code, Some(0), "{stderr}");
    let event = [
        "event",
        "add",
        "--title",
        "Họp giao ban",
        "--kind",
        "meeting",
        "--start",
        "2099-12-01 14:00",
        "--attendee",
        "minh.le",
    ];
    let (code, stderr) = run(dir.path(), &db.url, &event).await;
    assert_eq!(code, Some(0), "{stderr}");
    let bad = ["event", "add", "--title", "X", "--start", "mai lúc 2 giờ"];
    let (code, stderr) = run(dir.path(), &db.url, &bad).await;
    assert_eq!(code, Some(1));
    assert!(stderr.contains("YYYY-MM-DD HH:MM"), "{stderr}");

    let tasks = hdnd(dir.path(), &db.url)
        .args(["task", "list", "--days", "40000"])
        .output()
        .await
        .unwrap();
    let events = hdnd(dir.path(), &db.url)
        .args(["event", "list", "--days", "40000"])
        .output()
        .await
        .unwrap();
    let tasks = String::from_utf8_lossy(&tasks.stdout).into_owned();
    let events = String::from_utf8_lossy(&events.stdout).into_owned();
    assert!(
        tasks.contains("01/12/2099")
            && tasks.contains("minh.le")
            && tasks.contains("Tổng hợp ý kiến cử tri"),
        "{tasks}"
    );
    assert!(
        events.contains("01/12/2099 14:00") && events.contains("Họp giao ban"),
        "{events}"
    );
    let (code, _) = run(dir.path(), &db.url, &["task", "done", "1"]).await;
    assert_eq!(code, Some(0));
    let tasks = hdnd(dir.path(), &db.url)
        .args(["task", "list", "--days", "40000"])
        .output()
        .await
        .unwrap();
    assert!(
        !String::from_utf8_lossy(&tasks.stdout).contains("Tổng hợp"),
        "a done task is not listed"
    );
}
