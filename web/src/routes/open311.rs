//! Open311 GeoReport v2 under `/open311/v2`: discovery, services, service definitions, posting
//! and reading requests, tokens; each in XML and JSON by the path's suffix.
//!
//! Everything shown comes from the hub's Open311 service, which decides what the public sees;
//! this module parses parameters and prints documents. Errors are GeoReport's `errors`
//! document with HTTP 404, 403 or 400 only, as the specification requires: a failure on our
//! side is a 400 whose body code is 500, and is logged here, once.

use axum::Router;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, TimeZone};
use hdnd_hub::open311::{
    Attribute, Open311Error, Open311Request, Open311Service, Open311Submission, RequestQuery,
    ServiceDefinition,
};

use crate::open311_doc::{Document, Format, Value};
use crate::state::AppState;

/// Where the API lives.
pub(crate) const BASE: &str = "/open311/v2";

/// The Open311 routes, with their own fallback so that a wrong path under the base gets an
/// `errors` document, not a portal page.
pub(crate) fn routes() -> Router<AppState> {
    let api = Router::new()
        .route("/{file}", get(top).post(create))
        .route("/services/{file}", get(definition))
        .route("/requests/{file}", get(one_request))
        .route("/tokens/{file}", get(token))
        .fallback(|| async { not_found(Format::Xml) });
    Router::new().nest(BASE, api)
}

/// `discovery`, `services` and `requests` at the base.
async fn top(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let Some((stem, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
    let open311 = state.hub.open311();
    match stem {
        "discovery" => discovery(&state, &headers).respond(StatusCode::OK, format),
        "services" => services(&open311.services()).respond(StatusCode::OK, format),
        "requests" => {
            let Ok(Query(params)) = query else {
                return failed(Open311Error::Invalid(bad_query()), format);
            };
            match open311.requests(&request_query(&params)).await {
                Ok(requests) => service_requests(&requests).respond(StatusCode::OK, format),
                Err(e) => failed(e, format),
            }
        }
        _ => not_found(format),
    }
}

async fn definition(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
    match state.hub.open311().definition(code) {
        Ok(definition) => service_definition(&definition).respond(StatusCode::OK, format),
        Err(e) => failed(e, format),
    }
}

async fn one_request(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((id, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
    match state.hub.open311().request_by_id(id).await {
        Ok(request) => service_requests(&[request]).respond(StatusCode::OK, format),
        Err(e) => failed(e, format),
    }
}

/// Every service is realtime: a request gets its id at once and no token is ever issued, so
/// every token is unknown.
async fn token(Path(file): Path<String>) -> Response {
    let format = Format::split(&file).map_or(Format::Xml, |(_, format)| format);
    failed(
        Open311Error::NotFound(
            "không có token này: mọi dịch vụ đều trả mã hồ sơ ngay (service_request_id), không \
             cấp token (no such token: every service is realtime)"
                .to_owned(),
        ),
        format,
    )
}

async fn create(
    State(state): State<AppState>,
    Path(file): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Some(("requests", format)) = Format::split(&file) else {
        return not_found(Format::split(&file).map_or(Format::Xml, |(_, f)| f));
    };
    let Ok(Form(fields)) = form else {
        return failed(
            Open311Error::Invalid(
                "nội dung phải là application/x-www-form-urlencoded (the body must be \
                 application/x-www-form-urlencoded)"
                    .to_owned(),
            ),
            format,
        );
    };
    let api_key = field(&fields, "api_key");
    match state
        .hub
        .open311()
        .submit(api_key.as_deref(), &submission(&fields))
        .await
    {
        Ok(code) => Document {
            root: "service_requests",
            value: Value::List(
                "request",
                vec![Value::Object(vec![
                    ("service_request_id", Some(Value::text(code.as_str()))),
                    (
                        "service_notice",
                        Some(Value::text(format!(
                            "Hội đồng đã tiếp nhận hồ sơ {code} (the council received case \
                             {code})"
                        ))),
                    ),
                ])],
            ),
        }
        .respond(StatusCode::OK, format),
        Err(e) => failed(e, format),
    }
}

/// The value of the form or query field `name`: the first, and `None` when empty.
fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

fn submission(fields: &[(String, String)]) -> Open311Submission {
    let attributes = fields
        .iter()
        .filter_map(|(key, value)| {
            let code = key.strip_prefix("attribute[")?;
            // A multivaluelist repeats `attribute[code][]`.
            let code = code
                .strip_suffix("][]")
                .or_else(|| code.strip_suffix(']'))?;
            Some((code.to_owned(), value.clone()))
        })
        .collect();
    Open311Submission {
        service_code: field(fields, "service_code"),
        attributes,
        description: field(fields, "description"),
        address_string: field(fields, "address_string"),
        address_id: field(fields, "address_id"),
        lat: field(fields, "lat"),
        long: field(fields, "long"),
        email: field(fields, "email"),
        phone: field(fields, "phone"),
        first_name: field(fields, "first_name"),
        last_name: field(fields, "last_name"),
    }
}

fn request_query(params: &[(String, String)]) -> RequestQuery {
    RequestQuery {
        service_request_id: field(params, "service_request_id"),
        service_code: field(params, "service_code"),
        start_date: field(params, "start_date"),
        end_date: field(params, "end_date"),
        status: field(params, "status"),
        page: field(params, "page"),
        page_size: field(params, "page_size"),
    }
}

fn bad_query() -> String {
    "tham số truy vấn không đọc được (the query string cannot be read)".to_owned()
}

/// The discovery document. Its URL is the one this request came to: behind a proxy, the
/// `Host` it forwards and the scheme it names in `X-Forwarded-Proto`.
fn discovery(state: &AppState, headers: &HeaderMap) -> Document {
    let profile = state.hub.profile();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|s| *s == "https")
        .unwrap_or("http");
    let changeset = w3c(state.hub.open311().changeset());
    let formats = ["text/xml", "application/json"]
        .into_iter()
        .map(Value::text)
        .collect();
    Document {
        root: "discovery",
        value: Value::Object(vec![
            ("changeset", Some(Value::text(&changeset))),
            (
                "contact",
                Some(Value::text(format!(
                    "{}, {}",
                    profile.name, profile.locality
                ))),
            ),
            (
                "key_service",
                Some(Value::text(format!(
                    "Liên hệ Văn phòng {} để được cấp khóa API (contact the council's office \
                     for an API key)",
                    profile.name
                ))),
            ),
            (
                "endpoints",
                Some(Value::List(
                    "endpoint",
                    vec![Value::Object(vec![
                        (
                            "specification",
                            Some(Value::text("http://wiki.open311.org/GeoReport_v2")),
                        ),
                        ("url", Some(Value::text(format!("{scheme}://{host}{BASE}")))),
                        ("changeset", Some(Value::text(changeset))),
                        ("type", Some(Value::text("production"))),
                        ("formats", Some(Value::List("format", formats))),
                    ])],
                )),
            ),
        ]),
    }
}

fn services(services: &[Open311Service]) -> Document {
    let items = services
        .iter()
        .map(|s| {
            Value::Object(vec![
                ("service_code", Some(Value::text(&s.code))),
                ("service_name", Some(Value::text(&s.name))),
                ("description", Some(Value::text(&s.description))),
                ("metadata", Some(Value::Bool(true))),
                ("type", Some(Value::text("realtime"))),
                ("keywords", Some(Value::text(&s.keywords))),
                ("group", Some(Value::text(&s.group))),
            ])
        })
        .collect();
    Document {
        root: "services",
        value: Value::List("service", items),
    }
}

fn service_definition(definition: &ServiceDefinition) -> Document {
    let attributes = definition.attributes.iter().map(attribute).collect();
    Document {
        root: "service_definition",
        value: Value::Object(vec![
            ("service_code", Some(Value::text(&definition.code))),
            ("attributes", Some(Value::List("attribute", attributes))),
        ]),
    }
}

fn attribute(a: &Attribute) -> Value {
    let values = a
        .values
        .iter()
        .map(|v| {
            Value::Object(vec![
                ("key", Some(Value::text(&v.key))),
                ("name", Some(Value::text(&v.name))),
            ])
        })
        .collect::<Vec<_>>();
    Value::Object(vec![
        ("variable", Some(Value::Bool(a.variable))),
        ("code", Some(Value::text(a.code))),
        ("datatype", Some(Value::text(a.datatype.as_str()))),
        ("required", Some(Value::Bool(a.required))),
        (
            "datatype_description",
            Some(Value::text(&a.datatype_description)),
        ),
        ("order", Some(Value::Int(i64::from(a.order)))),
        ("description", Some(Value::text(&a.description))),
        (
            "values",
            (!values.is_empty()).then_some(Value::List("value", values)),
        ),
    ])
}

fn service_requests(requests: &[Open311Request]) -> Document {
    let text = |s: &Option<String>| s.as_ref().map(Value::text);
    let items = requests
        .iter()
        .map(|r| {
            Value::Object(vec![
                (
                    "service_request_id",
                    Some(Value::text(r.service_request_id.as_str())),
                ),
                ("status", Some(Value::text(r.status.as_str()))),
                ("status_notes", Some(Value::text(&r.status_notes))),
                ("service_name", text(&r.service_name)),
                ("service_code", text(&r.service_code)),
                ("description", Some(Value::text(&r.description))),
                (
                    "agency_responsible",
                    Some(Value::text(&r.agency_responsible)),
                ),
                (
                    "requested_datetime",
                    Some(Value::text(w3c(r.requested_datetime))),
                ),
                (
                    "updated_datetime",
                    Some(Value::text(w3c(r.updated_datetime))),
                ),
                (
                    "expected_datetime",
                    r.expected_datetime.map(|at| Value::text(w3c(at))),
                ),
                ("address", text(&r.address)),
            ])
        })
        .collect();
    Document {
        root: "service_requests",
        value: Value::List("request", items),
    }
}

/// A W3C datetime in the council's zone, to the second (`2026-11-26T09:30:00+07:00`).
fn w3c<Z: TimeZone>(at: DateTime<Z>) -> String
where
    Z::Offset: std::fmt::Display,
{
    at.to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn not_found(format: Format) -> Response {
    failed(
        Open311Error::NotFound("không có tài nguyên này (no such resource)".to_owned()),
        format,
    )
}

/// The `errors` document of a refusal, with the HTTP status GeoReport v2 prescribes.
fn failed(error: Open311Error, format: Format) -> Response {
    let (status, code, description) = match error {
        Open311Error::NotFound(message) => (StatusCode::NOT_FOUND, 404, message),
        Open311Error::Forbidden(message) => (StatusCode::FORBIDDEN, 403, message),
        Open311Error::Invalid(message) => (StatusCode::BAD_REQUEST, 400, message),
        Open311Error::Hub(e) => {
            tracing::error!(error.cause_chain = ?e, error.message = %e, "an Open311 request failed");
            (
                StatusCode::BAD_REQUEST,
                500,
                "hệ thống đang gặp sự cố, xin thử lại sau (a failure on our side; try again \
                 later)"
                    .to_owned(),
            )
        }
    };
    Document {
        root: "errors",
        value: Value::List(
            "error",
            vec![Value::Object(vec![
                ("code", Some(Value::Int(code))),
                ("description", Some(Value::text(description))),
            ])],
        ),
    }
    .respond(status, format)
}
