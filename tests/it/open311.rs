//! Open311 GeoReport v2 through the portal's router, on both databases: every endpoint in XML
//! and JSON, the specified errors, and what is never shown (a denunciation, anything personal).

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hdnd_hub::access::Caller;
use hdnd_hub::domain::progress::TransitionRequest;
use hdnd_hub::domain::{Actor, AuditNote, CaseCode, Role, Staff, Status};
use hdnd_hub::open311::{HOURLY_QUOTA, Open311Error, Open311Submission};
use hdnd_hub::{CaseFilter, Error, Hub, ManualClock};
use hdnd_web::{AppState, Views};
use serde_json::Value;
use sqlx::Connection;
use tower::ServiceExt;

use crate::helpers::{TestDb, captured_logs, contract_tests, hub_on, morning, staff};

contract_tests!(
    keys_are_issued_once_stored_hashed_replaced_and_revoked_with_an_audit,
    every_endpoint_answers_in_xml_and_json,
    errors_are_open311_documents_with_the_specified_status,
    requests_are_filtered_by_id_service_status_window_and_page,
    a_denunciation_is_never_offered_accepted_or_listed,
    nothing_personal_reaches_any_answer_or_log_line,
    a_retried_post_files_one_case_and_a_client_is_held_to_its_hourly_quota,
    the_cli_prints_a_key_once_and_revokes_it,
);

/// The citizen's own words and contacts: none of them may come back.
const CANARY_NAME: &str = "Canary-O311";
const CANARY_FAMILY: &str = "Đoàn";
const CANARY_EMAIL: &str = "canary.o311@example.org";
const CANARY_PHONE: &str = "0912 345 678";
const CANARY_TEXT: &str = "CANARY-O311-TEXT cột đèn";
const CANARY_TITLE: &str = "CANARY-O311-TITLE";
const CANARY_ADDRESS: &str = "CANARY-O311-ADDRESS số 9";
const HOSTILE: &str = "<script>alert(1)</script> & ]]> \"đèn\"";

struct Council {
    state: AppState,
    hub: Hub,
    clock: Arc<ManualClock>,
    clerk: Staff,
    key: String,
}

async fn council(db: &TestDb) -> Council {
    let (hub, clock) = hub_on(db).await;
    let clerk = hub
        .store()
        .add_staff(
            staff("thu.o311", &[Role::Secretary, Role::Intake]),
            &AuditNote::operator(),
        )
        .await
        .unwrap();
    let key = hub
        .open311()
        .issue_key(Caller::Operator, "app.test")
        .await
        .unwrap()
        .expose()
        .to_owned();
    let state = AppState {
        hub: hub.clone(),
        views: Arc::new(Views::builtin()),
        telegram_webhook: None,
        public_url: None,
        telegram_bot: None,
        metrics: hdnd_web::MetricsAccess::Off,
    };
    Council {
        state,
        hub,
        clock,
        clerk,
        key,
    }
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn call(state: &AppState, request: Request<Body>) -> Answer {
    let response = hdnd_web::router(state.clone())
        .oneshot(request)
        .await
        .unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    Answer {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

async fn get(state: &AppState, path: &str) -> Answer {
    call(state, Request::get(path).body(Body::empty()).unwrap()).await
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn post(state: &AppState, path: &str, fields: &[(&str, &str)]) -> Answer {
    let body = fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let request = Request::post(path)
        .header(
            header::CONTENT_TYPE,
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(Body::from(body))
        .unwrap();
    call(state, request).await
}

/// The fields of a good request from a citizen whose every detail is a canary.
fn canary_fields(key: &str) -> Vec<(&str, &str)> {
    vec![
        ("api_key", key),
        ("service_code", "giao-thong"),
        ("attribute[title]", CANARY_TITLE),
        ("attribute[kind]", "kien_nghi"),
        ("attribute[area]", "hoang-van-thu"),
        ("attribute[consent]", "true"),
        ("description", CANARY_TEXT),
        ("address_string", CANARY_ADDRESS),
        ("lat", "20.8616"),
        ("long", "106.6826"),
        ("first_name", CANARY_NAME),
        ("last_name", CANARY_FAMILY),
        ("email", CANARY_EMAIL),
        ("phone", CANARY_PHONE),
        // Empty optional fields are as if absent.
        ("device_id", ""),
        ("jurisdiction_id", ""),
    ]
}

/// Posts the canary request and returns its code.
async fn file(c: &Council, extra: &[(&str, &str)]) -> CaseCode {
    let mut fields = canary_fields(&c.key);
    fields.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    fields.extend_from_slice(extra);
    let answer = post(&c.state, "/open311/v2/requests.json", &fields).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let id = answer.json()[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    CaseCode::parse(&id).unwrap()
}

async fn publish(c: &Council, code: &CaseCode, summary: &str) {
    let case = c.hub.store().get_case_by_code(code).await.unwrap();
    c.hub
        .publish_case(case.id, c.clerk.id, "Đèn ngõ 12", summary)
        .await
        .unwrap();
}

async fn keys_are_issued_once_stored_hashed_replaced_and_revoked_with_an_audit(db: TestDb) {
    // Arrange
    let (hub, _clock) = hub_on(&db).await;
    let open311 = hub.open311();
    let intake = hub
        .store()
        .add_staff(staff("tiep.nhan", &[Role::Intake]), &AuditNote::operator())
        .await
        .unwrap();

    // Act
    let first = open311
        .issue_key(Caller::Operator, "FixMyStreet.vn")
        .await
        .unwrap();
    let client = open311.client(Some(first.expose())).await.unwrap();
    let second = open311
        .issue_key(Caller::Operator, "fixmystreet.vn")
        .await
        .unwrap();
    let by_intake = open311
        .issue_key(Caller::Staff(intake.id), "other.app")
        .await;

    // Assert
    assert_eq!(client.name, "fixmystreet.vn");
    assert!(matches!(
        open311.client(Some(first.expose())).await,
        Err(Open311Error::Forbidden(_))
    ));
    assert_eq!(
        open311.client(Some(second.expose())).await.unwrap().id,
        client.id,
        "a new key replaces the client's earlier one"
    );
    assert!(matches!(by_intake, Err(Error::Domain(_))), "{by_intake:?}");
    assert!(matches!(
        open311.client(None).await,
        Err(Open311Error::Forbidden(_))
    ));
    open311
        .revoke_key(Caller::Operator, "fixmystreet.vn")
        .await
        .unwrap();
    assert!(matches!(
        open311.client(Some(second.expose())).await,
        Err(Open311Error::Forbidden(_))
    ));
    assert!(matches!(
        open311.revoke_key(Caller::Operator, "fixmystreet.vn").await,
        Err(Error::NotFound(_))
    ));
    let audit = hub.store().list_audit(10).await.unwrap();
    let actions: Vec<_> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions[..3],
        [
            "open311.key_revoked",
            "open311.key_issued",
            "open311.key_issued"
        ]
    );
    let written = format!("{audit:?}");
    for key in [&first, &second] {
        assert!(!written.contains(key.expose()));
        assert!(!format!("{key:?}").contains(key.expose()));
    }
    let stored = stored_key_hashes(&db).await;
    assert!(!stored.contains(first.expose()) && !stored.contains(second.expose()));
    assert_eq!(stored.len(), 64, "one SHA-256 in hex: {stored}");
}

/// Every key hash stored, joined.
async fn stored_key_hashes(db: &TestDb) -> String {
    let sql = "SELECT key_hash FROM open311_clients";
    let rows: Vec<String> = if db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar(sql).fetch_all(&mut conn).await.unwrap()
    };
    rows.concat()
}

async fn every_endpoint_answers_in_xml_and_json(db: TestDb) {
    // Arrange: a request filed through the API, forwarded and published by staff.
    let c = council(&db).await;
    let code = file(&c, &[]).await;
    let case = c.hub.store().get_case_by_code(&code).await.unwrap();
    let forward =
        TransitionRequest::to(Status::Forwarded, Actor::Staff(c.clerk.id)).with_unit("ubnd-phuong");
    c.hub.transition(case.id, forward).await.unwrap();
    publish(&c, &code, "Cử tri báo đèn ngõ 12 hỏng.").await;

    // Act
    let discovery = get(&c.state, "/open311/v2/discovery.json").await;
    let services = get(&c.state, "/open311/v2/services.json").await;
    let definition = get(&c.state, "/open311/v2/services/giao-thong.json").await;
    let requests = get(&c.state, "/open311/v2/requests.json").await;
    let one = get(&c.state, &format!("/open311/v2/requests/{code}.json")).await;
    let xml: Vec<Answer> = {
        let mut all = Vec::new();
        for path in [
            "discovery",
            "services",
            "services/giao-thong",
            "requests",
            &format!("requests/{code}"),
        ] {
            all.push(get(&c.state, &format!("/open311/v2/{path}.xml")).await);
        }
        all
    };

    // Assert: JSON.
    for answer in [&discovery, &services, &definition, &requests, &one] {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.content_type, "application/json; charset=utf-8");
    }
    let discovery = discovery.json();
    assert_eq!(
        discovery["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert_eq!(
        discovery["endpoints"][0]["formats"],
        serde_json::json!(["text/xml", "application/json"])
    );
    let changeset = discovery["changeset"].as_str().unwrap();
    assert!(changeset.ends_with("+07:00"), "{changeset}");
    assert_eq!(
        changeset.len(),
        "2026-11-26T09:30:00+07:00".len(),
        "{changeset}"
    );
    let services = services.json();
    let services = services.as_array().expect("a top-level array");
    assert_eq!(services.len(), c.hub.profile().categories.len());
    let traffic = services
        .iter()
        .find(|s| s["service_code"] == "giao-thong")
        .unwrap();
    assert_eq!(traffic["service_name"], "Giao thông, đô thị");
    assert_eq!(traffic["type"], "realtime");
    assert_eq!(traffic["metadata"], true);
    let definition = definition.json();
    assert_eq!(definition["service_code"], "giao-thong");
    let attributes = definition["attributes"].as_array().unwrap();
    let orders: Vec<_> = attributes
        .iter()
        .map(|a| a["order"].as_i64().unwrap())
        .collect();
    assert_eq!(orders, [1, 2, 3, 4], "unique and positive");
    let kinds: Vec<_> = attributes[1]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    assert!(!kinds.contains(&"to_cao") && kinds.contains(&"phan_anh"));
    let requests = requests.json();
    let listed = requests.as_array().expect("a top-level array");
    assert_eq!(listed.len(), 1);
    let request = &listed[0];
    assert_eq!(request, &one.json()[0]);
    assert_eq!(request["service_request_id"], code.as_str());
    assert_eq!(request["status"], "open");
    assert_eq!(request["status_notes"], Status::Forwarded.label_vi());
    assert_eq!(request["service_code"], "giao-thong");
    assert_eq!(request["description"], "Cử tri báo đèn ngõ 12 hỏng.");
    assert_eq!(
        request["agency_responsible"],
        "Ủy ban nhân dân phường Hồng Bàng"
    );
    assert_eq!(request["address"], "Khu vực Hoàng Văn Thụ");
    assert_eq!(request["requested_datetime"], "2026-11-26T09:30:00+07:00");
    assert!(
        request["expected_datetime"]
            .as_str()
            .unwrap()
            .ends_with("T23:59:59+07:00")
    );

    // Assert: XML.
    for answer in &xml {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.content_type, "text/xml; charset=utf-8");
        assert!(
            answer
                .body
                .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            "{}",
            answer.body
        );
        assert!(!answer.body.contains("xmlns"));
    }
    assert!(xml[1].body.contains("<services><service><service_code>"));
    assert!(xml[2].body.contains(
        "<service_definition><service_code>giao-thong</service_code><attributes><attribute>"
    ));
    assert!(xml[3].body.contains(&format!(
        "<service_requests><request><service_request_id>{code}</service_request_id>\
         <status>open</status>"
    )));
    assert_eq!(xml[3].body, xml[4].body);
}

async fn errors_are_open311_documents_with_the_specified_status(db: TestDb) {
    // Arrange
    let c = council(&db).await;
    let mut no_key = canary_fields("");
    no_key.retain(|(k, _)| *k != "api_key");
    let long = "đ".repeat(4001);
    let mut too_long = canary_fields(&c.key);
    too_long.retain(|(k, _)| *k != "description");
    too_long.push(("description", &long));
    let mut nowhere = canary_fields(&c.key);
    nowhere.retain(|(k, _)| !matches!(*k, "address_string" | "lat" | "long"));
    let mut unknown = canary_fields(&c.key);
    unknown.retain(|(k, _)| *k != "service_code");
    unknown.push(("service_code", "no-such-service"));
    let mut lonely_lat = canary_fields(&c.key);
    lonely_lat.retain(|(k, _)| !matches!(*k, "address_string" | "long"));
    let base = "/open311/v2";

    // Act
    let cases = [
        (post(&c.state, &format!("{base}/requests.xml"), &no_key).await, 403),
        (
            post(
                &c.state,
                &format!("{base}/requests.json"),
                &canary_fields("o311_wrong"),
            )
            .await,
            403,
        ),
        (post(&c.state, &format!("{base}/requests.json"), &unknown).await, 404),
        (post(&c.state, &format!("{base}/requests.json"), &too_long).await, 400),
        (post(&c.state, &format!("{base}/requests.xml"), &nowhere).await, 400),
        (post(&c.state, &format!("{base}/requests.json"), &lonely_lat).await, 400),
        (get(&c.state, &format!("{base}/services/no-such.json")).await, 404),
        (get(&c.state, &format!("{base}/requests/HB.20261126.9999.json")).await, 404),
        (get(&c.state, &format!("{base}/requests/not-a-code.xml")).await, 404),
        (get(&c.state, &format!("{base}/tokens/abc.json")).await, 404),
        (get(&c.state, &format!("{base}/requests.json?start_date=yesterday")).await, 400),
        (
            get(
                &c.state,
                &format!(
                    "{base}/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z"
                ),
            )
            .await,
            400,
        ),
        (get(&c.state, &format!("{base}/requests.json?status=pending")).await, 400),
        (get(&c.state, &format!("{base}/requests.json?page_size=1001")).await, 400),
        (get(&c.state, &format!("{base}/nothing-here.xml")).await, 404),
        (get(&c.state, &format!("{base}/a/b/c")).await, 404),
        (get(&c.state, &format!("{base}/services.csv")).await, 404),
        (
            call(
                &c.state,
                Request::post(format!("{base}/requests.json"))
                    .body(Body::from("api_key=x"))
                    .unwrap(),
            )
            .await,
            400,
        ),
    ];

    // Assert
    for (i, (answer, status)) in cases.iter().enumerate() {
        assert_eq!(answer.status.as_u16(), *status, "case {i}: {}", answer.body);
        if answer.content_type.starts_with("application/json") {
            let errors = answer.json();
            let error = &errors.as_array().expect("a top-level array")[0];
            assert_eq!(error["code"].as_u64(), Some(u64::from(*status)), "case {i}");
            assert!(!error["description"].as_str().unwrap().is_empty());
        } else {
            assert_eq!(answer.content_type, "text/xml; charset=utf-8", "case {i}");
            assert!(
                answer.body.contains(&format!(
                    "<errors><error><code>{status}</code><description>"
                )),
                "case {i}: {}",
                answer.body
            );
        }
    }
    assert!(cases[3].0.body.contains("4000"), "{}", cases[3].0.body);
    let filed = c
        .hub
        .store()
        .count_cases(&CaseFilter::default())
        .await
        .unwrap();
    assert_eq!(filed, 0, "no refused request filed a case");
}

async fn requests_are_filtered_by_id_service_status_window_and_page(db: TestDb) {
    // Arrange: an old request, then three this morning (one closed, one of another service).
    let c = council(&db).await;
    c.clock.set(morning() - chrono::Duration::days(120));
    let old = file(&c, &[("description", "cũ")]).await;
    publish(&c, &old, "Cũ.").await;
    c.clock.set(morning());
    let mut codes = Vec::new();
    for (n, service) in ["giao-thong", "moi-truong", "giao-thong"]
        .into_iter()
        .enumerate()
    {
        let text = format!("yêu cầu {n}");
        let code = file(&c, &[("description", &text), ("service_code", service)]).await;
        c.clock.advance(chrono::Duration::minutes(1));
        publish(&c, &code, &format!("Tóm tắt {n}.")).await;
        codes.push(code);
    }
    let case = c.hub.store().get_case_by_code(&codes[2]).await.unwrap();
    let me = Actor::Staff(c.clerk.id);
    let reject = TransitionRequest::to(Status::Rejected, me).with_text("Không thuộc thẩm quyền.");
    c.hub.transition(case.id, reject).await.unwrap();
    let ids = |answer: Answer| -> Vec<String> {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let q = |query: &str| format!("/open311/v2/requests.json?{query}");

    // Act
    let default = ids(get(&c.state, &q("")).await);
    let by_id = ids(get(
        &c.state,
        &q(&format!(
            "service_request_id={old},{}&status=open",
            codes[0]
        )),
    )
    .await);
    let by_service = ids(get(&c.state, &q("service_code=moi-truong")).await);
    let both = ids(get(&c.state, &q("service_code=moi-truong,giao-thong&status=")).await);
    let closed = ids(get(&c.state, &q("status=closed")).await);
    let open = ids(get(&c.state, &q("status=open")).await);
    let window = ids(get(
        &c.state,
        &q("start_date=2026-07-01T00:00:00%2B07:00&end_date=2026-09-01T00:00:00Z"),
    )
    .await);
    let page_two = ids(get(&c.state, &q("page=2&page_size=2")).await);
    let closed_one = get(&c.state, &format!("/open311/v2/requests/{}.json", codes[2])).await;

    // Assert
    let s = |code: &CaseCode| code.as_str().to_owned();
    assert_eq!(
        default,
        [s(&codes[2]), s(&codes[1]), s(&codes[0])],
        "newest first, last 90 days"
    );
    assert_eq!(
        by_id,
        [s(&codes[0]), s(&old)],
        "ids override the window and the status"
    );
    assert_eq!(by_service, [s(&codes[1])]);
    assert_eq!(both.len(), 3, "an empty status is no filter");
    assert_eq!(closed, [s(&codes[2])]);
    assert_eq!(open, [s(&codes[1]), s(&codes[0])]);
    assert_eq!(window, [s(&old)]);
    assert_eq!(page_two, [s(&codes[0])]);
    let closed_one = &closed_one.json()[0];
    assert_eq!(closed_one["status"], "closed");
    assert_eq!(closed_one["status_notes"], Status::Rejected.label_vi());
    assert!(closed_one.get("expected_datetime").is_none());
    assert_eq!(closed_one["updated_datetime"], "2026-11-26T09:33:00+07:00");
    let first = get(&c.state, &format!("/open311/v2/requests/{}.json", codes[0])).await;
    assert_eq!(
        first.json()[0]["updated_datetime"],
        "2026-11-26T09:30:00+07:00",
        "publishing changes the copy, not the case"
    );
}

async fn a_denunciation_is_never_offered_accepted_or_listed(db: TestDb) {
    // Arrange: a denunciation staff tried to publish, and then forced public behind the
    // hub's back; and a client asking to file one.
    let c = council(&db).await;
    let denunciation = c
        .hub
        .submit_case(crate::identity_canary::denunciation())
        .await
        .unwrap()
        .case;
    let refused = c
        .hub
        .publish_case(denunciation.id, c.clerk.id, "Tố cáo", "Tố cáo lọt")
        .await;
    force_publish(&db, &denunciation.code).await;
    let mut as_denunciation = canary_fields(&c.key);
    as_denunciation.retain(|(k, _)| *k != "attribute[kind]");
    as_denunciation.push(("attribute[kind]", "to_cao"));

    // Act
    let filed = post(&c.state, "/open311/v2/requests.json", &as_denunciation).await;
    let all = get(&c.state, "/open311/v2/requests.json").await;
    let by_id = get(
        &c.state,
        &format!(
            "/open311/v2/requests.json?service_request_id={}",
            denunciation.code
        ),
    )
    .await;
    let one = get(
        &c.state,
        &format!("/open311/v2/requests/{}.xml", denunciation.code),
    )
    .await;

    // Assert
    assert!(
        refused.is_err(),
        "the hub refuses to publish a denunciation"
    );
    assert_eq!(filed.status, StatusCode::BAD_REQUEST, "{}", filed.body);
    assert_eq!(all.body, "[]");
    assert_eq!(by_id.body, "[]");
    assert_eq!(one.status, StatusCode::NOT_FOUND);
    assert!(
        one.body.contains("<errors><error><code>404</code>"),
        "{}",
        one.body
    );
    for answer in [&all, &by_id, &one] {
        assert!(!answer.body.contains("Tố cáo lọt"));
    }
}

/// Marks a case published behind the hub's back, as a bug elsewhere might.
async fn force_publish(db: &TestDb, code: &CaseCode) {
    let sql = r#"
        UPDATE cases
        SET published = TRUE, public_title = 'Tố cáo lọt', public_summary = 'Tố cáo lọt',
            published_at = received_at
        WHERE code = $1
        "#;
    if db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql)
            .bind(code.as_str().to_owned())
            .execute(&mut conn)
            .await
            .unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query(sql)
            .bind(code.as_str().to_owned())
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

async fn nothing_personal_reaches_any_answer_or_log_line(db: TestDb) {
    // Arrange: the canary request, published by staff with a hostile summary.
    let logs = captured_logs();
    let c = council(&db).await;
    let code = file(&c, &[]).await;
    publish(&c, &code, HOSTILE).await;
    let stored = c.hub.store().get_case_by_code(&code).await.unwrap();

    // Act
    let mut said = String::new();
    for format in ["xml", "json"] {
        for path in [
            "requests".to_owned(),
            format!("requests/{code}"),
            format!("requests?service_request_id={code}").replace('?', &format!(".{format}?")),
        ] {
            let path = if path.contains('?') {
                format!("/open311/v2/{path}")
            } else {
                format!("/open311/v2/{path}.{format}")
            };
            let answer = get(&c.state, &path).await;
            assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.body);
            said.push_str(&answer.body);
        }
    }
    let xml = get(&c.state, &format!("/open311/v2/requests/{code}.xml")).await;
    let json = get(&c.state, &format!("/open311/v2/requests/{code}.json")).await;

    // Assert
    assert!(
        stored.content.contains(CANARY_TEXT),
        "the case has the citizen's text"
    );
    assert!(stored.content.contains(CANARY_ADDRESS) && stored.content.contains("20.8616"));
    assert_eq!(stored.channel, hdnd_hub::domain::SourceChannel::Open311);
    for canary in [
        CANARY_NAME,
        CANARY_FAMILY,
        CANARY_EMAIL,
        "345 678",
        "345678",
        CANARY_TEXT,
        CANARY_TITLE,
        CANARY_ADDRESS,
        "20.8616",
    ] {
        assert!(!said.contains(canary), "{canary} reached an answer");
    }
    assert!(xml.body.contains(
        "<description>&lt;script&gt;alert(1)&lt;/script&gt; &amp; ]]&gt; &quot;đèn&quot;</description>"
    ), "{}", xml.body);
    assert!(!xml.body.contains("<script>") && !xml.body.contains("]]>"));
    assert_eq!(json.json()[0]["description"], HOSTILE);
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    for secret in [
        c.key.as_str(),
        CANARY_NAME,
        CANARY_EMAIL,
        CANARY_TEXT,
        CANARY_ADDRESS,
    ] {
        assert!(!logged.contains(secret), "{secret} reached a log line");
    }
    let submission = Open311Submission {
        description: Some(CANARY_TEXT.to_owned()),
        email: Some(CANARY_EMAIL.to_owned()),
        attributes: vec![("title".to_owned(), CANARY_TITLE.to_owned())],
        ..Open311Submission::default()
    };
    let debug = format!("{submission:?}");
    assert!(!debug.contains(CANARY_TEXT) && !debug.contains(CANARY_EMAIL));
    assert!(!debug.contains(CANARY_TITLE));
}

async fn a_retried_post_files_one_case_and_a_client_is_held_to_its_hourly_quota(db: TestDb) {
    // Arrange
    let c = council(&db).await;
    let open311 = c.hub.open311();
    let request = |n: i64| Open311Submission {
        service_code: Some("moi-truong".to_owned()),
        attributes: vec![("title".to_owned(), format!("Rác {n}"))],
        address_string: Some("Ngõ 5, phường Hồng Bàng, Hải Phòng".to_owned()),
        ..Open311Submission::default()
    };

    // Act
    let first = open311.submit(Some(&c.key), &request(0)).await.unwrap();
    let again = open311.submit(Some(&c.key), &request(0)).await.unwrap();
    for n in 1..HOURLY_QUOTA {
        open311.submit(Some(&c.key), &request(n)).await.unwrap();
    }
    let over = open311.submit(Some(&c.key), &request(HOURLY_QUOTA)).await;
    c.clock.advance(chrono::Duration::minutes(61));
    let later = open311.submit(Some(&c.key), &request(HOURLY_QUOTA)).await;

    // Assert
    assert_eq!(first, again, "a retry gets the same case");
    assert!(matches!(over, Err(Open311Error::Forbidden(_))), "{over:?}");
    assert!(later.is_ok(), "{later:?}");
    assert_eq!(
        c.hub
            .store()
            .count_cases(&CaseFilter::default())
            .await
            .unwrap(),
        HOURLY_QUOTA + 1
    );
}

async fn the_cli_prints_a_key_once_and_revokes_it(db: TestDb) {
    // Arrange
    let dir = tempfile::tempdir().unwrap();
    let hdnd = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_hdnd"))
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("HDND_CONFIG")
            .env_remove("RUST_LOG")
            .env("HDND_DATABASE__URL", &db.url)
            .env("HDND_DEMO", "false")
            .env(
                "HDND_CITIZENS__CONTACT_KEY",
                "a fictional contact key of 32+ bytes",
            )
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };

    // Act
    let issued = hdnd(&["open311", "key", "cong.dich-vu"]);
    let (hub, _clock) = hub_on(&db).await;
    let printed = String::from_utf8(issued.stdout).unwrap();
    let key = printed.lines().last().unwrap_or_default().trim().to_owned();
    let client = hub.open311().client(Some(&key)).await;
    let revoked = hdnd(&["open311", "revoke", "cong.dich-vu"]);
    let twice = hdnd(&["open311", "revoke", "cong.dich-vu"]);

    // Assert
    assert!(issued.status.success(), "{printed}");
    assert!(printed.contains("chỉ in ra lần này"), "{printed}");
    assert_eq!(client.unwrap().name, "cong.dich-vu");
    assert!(revoked.status.success());
    assert!(matches!(
        hub.open311().client(Some(&key)).await,
        Err(Open311Error::Forbidden(_))
    ));
    assert!(
        !twice.status.success(),
        "a revoked key cannot be revoked again"
    );
    let said = String::from_utf8_lossy(&twice.stderr);
    assert!(said.contains("không có khóa còn hiệu lực"), "{said}");
}
