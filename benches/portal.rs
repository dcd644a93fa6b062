//! `cargo bench --bench portal`: the public listing and a search over 100,000 published cases,
//! served by the portal's router over loopback HTTP/1.1 to 32 keep-alive connections, on a
//! file-backed SQLite (and on PostgreSQL when `TEST_DATABASE_URL` is set).
//!
//! The generator writes the cases with plain SQL in large transactions (the hub's intake would
//! take most of an hour for 100,000), with the search text folded by the hub's own
//! [`hdnd_hub::search::fold`], so the index holds what publication would have put there. Then
//! the portal is served as `hdnd serve` serves it, its public pages kept a second by its page
//! cache; and once more with the cache off, so every request queries and renders.
//!
//! The ceiling, from the same run and the same server: the list page's HTML saved to a file,
//! read from disk and sent on each request by a bare handler. Prints `bench portal_list_rps`, `portal_static_rps`,
//! `portal_ratio` (list over static), `portal_list_p99` and `portal_search_p99` (with the page
//! cache, as deployed), the same without the cache (`…_uncached…`), and each again with
//! `_postgres` appended. Targets: ratio ≥ 0.5, p99 < 20 ms at 32 connections.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header;
use chrono::{DateTime, NaiveDate, Utc};
use hdnd_hub::domain::CouncilProfile;
use hdnd_hub::{Hub, SystemClock};
use hdnd_web::{AppState, PageCache, Views};
use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CASES: usize = 100_000;
const CONNECTIONS: usize = 32;
const WARM_UP: Duration = Duration::from_secs(1);
const MEASURE: Duration = Duration::from_secs(5);
const LIST: &str = "/ho-so";
const SEARCH: &str = "/ho-so?tim=kien+nghi+duong";
const STATIC: &str = "/bench/ho-so.html";

const TITLES: [&str; 6] = [
    "Kiến nghị sửa đường ngõ {n}",
    "Đèn chiếu sáng ngõ {n} bị hỏng",
    "Rác thải tồn đọng tại chợ số {n}",
    "Cây xanh đổ chắn lối đi tổ {n}",
    "Ngập nước sau mưa tại phố số {n}",
    "Đề nghị bố trí điểm trông giữ xe số {n}",
];
const SUMMARIES: [&str; 3] = [
    "Cử tri phản ánh mặt đường xuống cấp, đề nghị sửa chữa.",
    "Đề nghị cơ quan chức năng kiểm tra và xử lý dứt điểm.",
    "Người dân kiến nghị có phương án khắc phục trước mùa mưa.",
];

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = format!("sqlite://{}/portal.db", dir.path().display());
    bench("", &url, dir.path()).await;

    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin) => {
            let name = format!("hdnd_bench_portal_{}", std::process::id());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create the bench database");
            let root = admin
                .rsplit_once('/')
                .map_or(admin.as_str(), |(root, _)| root);
            bench("_postgres", &format!("{root}/{name}"), dir.path()).await;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .expect("drop the bench database");
        }
        Err(_) => println!("note: portal_postgres skipped (TEST_DATABASE_URL is not set)"),
    }
}

async fn bench(suffix: &str, url: &str, dir: &std::path::Path) {
    let store = hdnd_hub::storage::open(url, Arc::new(SystemClock))
        .await
        .expect("open the store");
    drop(store);
    generate(url).await;
    let store = hdnd_hub::storage::open(url, Arc::new(SystemClock))
        .await
        .expect("open the store");
    let hub = Hub::new(store, Arc::new(CouncilProfile::demo()));
    let state = AppState {
        hub,
        views: Arc::new(Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    };

    let uncached = serve(hdnd_web::router_with_cache(
        state.clone(),
        PageCache::new(Duration::ZERO),
    ))
    .await;
    let page = fetch(uncached, LIST).await;
    assert!(
        page.contains("Kiến nghị") && page.contains("Trang sau"),
        "the list page renders"
    );
    let found = fetch(uncached, SEARCH).await;
    assert!(found.contains("Tìm thấy"), "the search renders");
    let file = dir.join("ho-so.html");
    std::fs::write(&file, &page).expect("save the page");
    let static_file = move || {
        let file = file.clone();
        async move {
            let html = tokio::fs::read(&file).await.expect("read the saved page");
            ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html)
        }
    };
    let cached = serve(
        hdnd_web::router_with_cache(state, PageCache::default())
            .route(STATIC, axum::routing::get(static_file)),
    )
    .await;

    let static_run = load(cached, STATIC).await;
    let list = load(cached, LIST).await;
    let search = load(cached, SEARCH).await;
    let list_uncached = load(uncached, LIST).await;
    let search_uncached = load(uncached, SEARCH).await;

    let line =
        |name: &str, value: f64, unit: &str| println!("bench {name}{suffix} {value:.2} {unit}");
    line("portal_list_rps", list.rps, "req/s");
    line("portal_static_rps", static_run.rps, "req/s");
    line("portal_ratio", list.rps / static_run.rps, "ratio");
    line("portal_list_p99", list.p99_ms, "ms");
    line("portal_search_p99", search.p99_ms, "ms");
    line("portal_list_uncached_rps", list_uncached.rps, "req/s");
    line(
        "portal_uncached_ratio",
        list_uncached.rps / static_run.rps,
        "ratio",
    );
    line("portal_list_uncached_p99", list_uncached.p99_ms, "ms");
    line("portal_search_uncached_rps", search_uncached.rps, "req/s");
    line("portal_search_uncached_p99", search_uncached.p99_ms, "ms");
}

/// 100,000 published cases, in transactions of 5,000, with a progress bar on stderr.
async fn generate(url: &str) {
    const BATCH: usize = 5_000;
    let start = Utc::now() - chrono::Duration::days(700);
    let statuses = [
        "received",
        "accepted",
        "forwarded",
        "in_progress",
        "answered",
        "explained",
    ];
    let profile = CouncilProfile::demo();
    let began = Instant::now();
    let mut db = Db::connect(url).await;
    for batch in 0..CASES / BATCH {
        db.begin().await;
        for i in batch * BATCH..(batch + 1) * BATCH {
            let at = start + chrono::Duration::seconds(i as i64 * 600);
            let status = statuses[i % statuses.len()];
            let title = TITLES[i % TITLES.len()].replace("{n}", &(i % 97).to_string());
            let summary = SUMMARIES[i % SUMMARIES.len()];
            let answer = matches!(status, "answered" | "explained")
                .then(|| format!("Đã kiểm tra và xử lý theo kiến nghị số {i}."));
            let search = hdnd_hub::search::fold(&format!(
                "{title}\n{summary}\n{}",
                answer.as_deref().unwrap_or_default()
            ));
            db.insert(Row {
                code: format!("HB.{}.{:05}", at.format("%Y%m%d"), i),
                token_hash: format!("bench-{i:08}"),
                kind: ["kien_nghi", "y_kien", "phan_anh"][i % 3],
                area: &profile.areas[i % profile.areas.len()].code,
                category: &profile.categories[i % profile.categories.len()].code,
                status,
                at,
                day: at.date_naive(),
                title: &title,
                summary,
                answer: answer.as_deref(),
                search: &search,
            })
            .await;
        }
        db.commit().await;
        if (batch + 1) * BATCH == CASES {
            // What autovacuum would have done by the time 100,000 cases were published.
            db.analyze().await;
        }
        let done = (batch + 1) * BATCH;
        let bar = "#".repeat(done * 30 / CASES);
        eprint!(
            "\rgenerating {done:>6}/{CASES} [{bar:<30}] {:.0} s",
            began.elapsed().as_secs_f64()
        );
        let _ = std::io::stderr().flush();
    }
    eprintln!();
}

struct Row<'a> {
    code: String,
    token_hash: String,
    kind: &'static str,
    area: &'a str,
    category: &'a str,
    status: &'static str,
    at: DateTime<Utc>,
    day: NaiveDate,
    title: &'a str,
    summary: &'a str,
    answer: Option<&'a str>,
    search: &'a str,
}

/// The generator's connection: instants are INTEGER milliseconds on SQLite and `timestamptz`
/// on PostgreSQL, as the store keeps them.
enum Db {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

const INSERT: &str = r#"
    INSERT INTO cases (code, access_token_hash, kind, title, content, area, category, channel,
                       publication_consent, published, complex, remote_area, received_at,
                       received_on, status, answer, public_title, public_summary, published_at,
                       extensions, version, created_at, updated_at, search_text)
    VALUES ($1, $2, $3, $4, 'Nội dung của công dân (không công khai).', $5, $6, 'web', TRUE,
            TRUE, FALSE, FALSE, $7, $8, $9, $10, $4, $11, $7, 0, 1, $7, $7, $12)
"#;

impl Db {
    async fn connect(url: &str) -> Self {
        if url.starts_with("sqlite:") {
            Db::Sqlite(sqlx::SqliteConnection::connect(url).await.expect("SQLite"))
        } else {
            Db::Postgres(sqlx::PgConnection::connect(url).await.expect("PostgreSQL"))
        }
    }

    async fn run(&mut self, sql: &'static str) {
        match self {
            Db::Sqlite(c) => sqlx::query(sql).execute(c).await.map(drop),
            Db::Postgres(c) => sqlx::query(sql).execute(c).await.map(drop),
        }
        .expect(sql);
    }

    async fn analyze(&mut self) {
        if let Db::Postgres(_) = self {
            self.run("ANALYZE cases").await;
        }
    }

    async fn begin(&mut self) {
        self.run("BEGIN").await;
    }

    async fn commit(&mut self) {
        self.run("COMMIT").await;
    }

    async fn insert(&mut self, row: Row<'_>) {
        match self {
            Db::Sqlite(c) => sqlx::query(INSERT)
                .bind(row.code)
                .bind(row.token_hash)
                .bind(row.kind)
                .bind(row.title)
                .bind(row.area)
                .bind(row.category)
                .bind(row.at.timestamp_millis())
                .bind(row.day)
                .bind(row.status)
                .bind(row.answer)
                .bind(row.summary)
                .bind(row.search)
                .execute(c)
                .await
                .map(drop),
            Db::Postgres(c) => sqlx::query(INSERT)
                .bind(row.code)
                .bind(row.token_hash)
                .bind(row.kind)
                .bind(row.title)
                .bind(row.area)
                .bind(row.category)
                .bind(row.at)
                .bind(row.day)
                .bind(row.status)
                .bind(row.answer)
                .bind(row.summary)
                .bind(row.search)
                .execute(c)
                .await
                .map(drop),
        }
        .expect("insert a case");
    }
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    addr
}

/// One page's body, on a fresh connection.
async fn fetch(addr: SocketAddr, path: &str) -> String {
    let mut conn = Client::connect(addr).await;
    let body = conn.get(path).await;
    String::from_utf8(body).expect("UTF-8")
}

struct Run {
    rps: f64,
    p99_ms: f64,
}

/// `CONNECTIONS` keep-alive connections asking for `path` back to back: a warm-up, then
/// `MEASURE` of counted requests and their latencies.
async fn load(addr: SocketAddr, path: &'static str) -> Run {
    let began = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            tokio::spawn(async move {
                let mut conn = Client::connect(addr).await;
                let mut latencies = Vec::new();
                loop {
                    let asked = Instant::now();
                    if asked >= began + WARM_UP + MEASURE {
                        break latencies;
                    }
                    conn.get(path).await;
                    if asked >= began + WARM_UP {
                        latencies.push(asked.elapsed());
                    }
                }
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("a load connection"));
    }
    latencies.sort();
    let p99 = latencies[latencies.len() * 99 / 100];
    Run {
        rps: latencies.len() as f64 / MEASURE.as_secs_f64(),
        p99_ms: p99.as_secs_f64() * 1000.0,
    }
}

/// A minimal HTTP/1.1 client: GET, keep-alive, bodies by Content-Length (the portal's pages
/// and ServeFile both send it). A load generator must cost less than the server it loads.
struct Client {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        Self {
            stream,
            buffer: Vec::with_capacity(64 * 1024),
        }
    }

    async fn get(&mut self, path: &str) -> Vec<u8> {
        let request = format!("GET {path} HTTP/1.1\r\nHost: bench.example\r\n\r\n");
        self.stream
            .write_all(request.as_bytes())
            .await
            .expect("write");
        loop {
            if let Some(end) = find(&self.buffer, b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buffer[..end]).expect("ASCII head");
                assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .expect("Content-Length");
                let total = end + 4 + length;
                while self.buffer.len() < total {
                    self.read().await;
                }
                let body = self.buffer[end + 4..total].to_vec();
                self.buffer.drain(..total);
                return body;
            }
            self.read().await;
        }
    }

    async fn read(&mut self) {
        let mut chunk = [0u8; 64 * 1024];
        let n = self.stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "the server closed the connection");
        self.buffer.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
