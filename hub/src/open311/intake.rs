//! Filing a case as an Open311 client (`POST /requests`): the same intake as every channel
//! ([`Hub::submit_case`](crate::Hub::submit_case)), after the checks of GeoReport v2 and of
//! the service definition.

use std::fmt;

use chrono::Duration;
use sha2::{Digest, Sha256};

use crate::domain::token::hex;
use crate::domain::{
    CaseCode, CaseKind, ComplaintRound, ContactKind, ContactPoint, Language, NewCase, SourceChannel,
};
use crate::error::{DomainError, Error};

use super::services::{AREA, CONSENT, DEFAULT_KIND, KIND, KINDS, TITLE, unknown_service};
use super::{HOURLY_QUOTA, Open311, Open311Error};

/// The longest description GeoReport v2 accepts.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;

/// A request as the client posted it; an empty field is as if absent. It holds the citizen's
/// name, contacts and text, so its `Debug` shows none of them.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Open311Submission {
    pub service_code: Option<String>,
    /// `attribute[code]=value`, in the order sent.
    pub attributes: Vec<(String, String)>,
    pub description: Option<String>,
    pub address_string: Option<String>,
    pub address_id: Option<String>,
    pub lat: Option<String>,
    pub long: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

impl fmt::Debug for Open311Submission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let attributes: Vec<_> = self.attributes.iter().map(|(code, _)| code).collect();
        f.debug_struct("Open311Submission")
            .field("service_code", &self.service_code)
            .field("attributes", &attributes)
            .finish_non_exhaustive()
    }
}

impl Open311<'_> {
    /// Files the request as a case of the client the key belongs to and returns its code.
    /// Posting the same request again (a client retrying) returns the same code and files
    /// nothing twice.
    pub async fn submit(
        &self,
        api_key: Option<&str>,
        request: &Open311Submission,
    ) -> Result<CaseCode, Open311Error> {
        let client = self.client(api_key).await?;
        let new = self.new_case(request)?;
        let prefix = format!("open311:{}:", client.id);
        let since = self.hub.clock().now() - Duration::hours(1);
        let filed = self
            .hub
            .store()
            .count_open311_cases_since(&prefix, since)
            .await?;
        if filed >= HOURLY_QUOTA {
            return Err(Open311Error::Forbidden(format!(
                "ứng dụng đã gửi {HOURLY_QUOTA} yêu cầu trong một giờ qua, xin thử lại sau \
                 (the client has sent {HOURLY_QUOTA} requests in the last hour)"
            )));
        }
        // The source reference is a digest, so that it carries none of the citizen's words.
        let source_ref = format!("{prefix}{}", fingerprint(request));
        let new = NewCase {
            source_ref: Some(source_ref.clone()),
            ..new
        };
        match self.hub.submit_case(new).await {
            Ok(created) => {
                tracing::info!(
                    open311.client = client.id.0,
                    case.code = %created.case.code,
                    "Open311 client {} filed case {}",
                    client.id,
                    created.case.code
                );
                Ok(created.case.code)
            }
            Err(Error::Conflict(_)) => {
                let case = self.hub.store().get_case_by_source_ref(&source_ref).await?;
                Ok(case.code)
            }
            Err(Error::Domain(DomainError::Invalid { field, reason })) => Err(
                Open311Error::invalid(format!("{} không hợp lệ: {reason}", field_name(field))),
            ),
            Err(other) => Err(other.into()),
        }
    }

    /// The case a request files, checked against the service definition.
    fn new_case(&self, request: &Open311Submission) -> Result<NewCase, Open311Error> {
        let profile = self.hub.profile();
        let service = present(&request.service_code)
            .ok_or_else(|| Open311Error::invalid("thiếu service_code (service_code is missing)"))?;
        profile
            .category(service)
            .ok_or_else(|| unknown_service(service))?;
        let mut title = None;
        let mut kind = DEFAULT_KIND;
        let mut area = None;
        let mut consent = false;
        for (code, value) in &request.attributes {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            let refused = || {
                Open311Error::invalid(format!(
                    "attribute[{code}] không nhận giá trị `{value}` (not an allowed value)"
                ))
            };
            match code.as_str() {
                TITLE => title = Some(value.to_owned()),
                KIND => {
                    kind = KINDS
                        .into_iter()
                        .find(|k| k.as_str() == value)
                        .ok_or_else(refused)?;
                }
                AREA => {
                    profile.area(value).ok_or_else(refused)?;
                    area = Some(value.to_owned());
                }
                CONSENT => {
                    consent = match value {
                        "true" => true,
                        "false" => false,
                        _ => return Err(refused()),
                    };
                }
                other => {
                    return Err(Open311Error::invalid(format!(
                        "dịch vụ không có thuộc tính `{other}` (the service has no attribute \
                         `{other}`)"
                    )));
                }
            }
        }
        let title = title.ok_or_else(|| {
            Open311Error::invalid("thiếu attribute[title] (attribute[title] is required)")
        })?;
        let description = present(&request.description);
        if description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS) {
            return Err(Open311Error::invalid(format!(
                "mô tả dài quá {MAX_DESCRIPTION_CHARS} ký tự (the description is longer than \
                 {MAX_DESCRIPTION_CHARS} characters)"
            )));
        }
        let location = location(request)?;
        let mut content = description.unwrap_or(&title).to_owned();
        content.push_str("\n\n");
        content.push_str(&location);
        let contacts = [
            (ContactKind::Email, &request.email),
            (ContactKind::Phone, &request.phone),
        ]
        .into_iter()
        .filter_map(|(kind, value)| {
            present(value).map(|address| ContactPoint {
                kind,
                address: address.to_owned(),
            })
        })
        .collect();
        // A Vietnamese name is said family name first: họ (last_name), then tên.
        let name = [&request.last_name, &request.first_name]
            .into_iter()
            .filter_map(present)
            .collect::<Vec<_>>()
            .join(" ");
        Ok(NewCase {
            kind,
            complaint_round: (kind == CaseKind::KhieuNai).then_some(ComplaintRound::First),
            first_case: None,
            title,
            content,
            area,
            category: Some(service.to_owned()),
            channel: SourceChannel::Open311,
            citizen_name: Some(name).filter(|n| !n.is_empty()),
            citizen_address: None,
            citizen_id_number: None,
            contacts,
            attachments: Vec::new(),
            publication_consent: consent,
            complex: false,
            remote_area: false,
            denouncer: None,
            source_ref: None,
            language: Language::Vi,
        })
    }
}

/// Where it happened, as a line of the case's content (the case has no map of its own): the
/// address as written, from the most specific unit to the most general, and the coordinates.
fn location(request: &Open311Submission) -> Result<String, Open311Error> {
    let address = present(&request.address_string);
    let point = match (present(&request.lat), present(&request.long)) {
        (Some(lat), Some(long)) => {
            let (Ok(lat), Ok(long)) = (lat.parse::<f64>(), long.parse::<f64>()) else {
                return Err(bad_point());
            };
            if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&long) {
                return Err(bad_point());
            }
            Some((lat, long))
        }
        (None, None) => None,
        _ => return Err(bad_point()),
    };
    let mut lines = Vec::new();
    if let Some(address) = address {
        lines.push(format!("Địa chỉ: {address}"));
    }
    if let Some((lat, long)) = point {
        lines.push(format!("Tọa độ (WGS84): {lat}, {long}"));
    }
    if lines.is_empty() {
        let message = if present(&request.address_id).is_some() {
            "chưa hỗ trợ address_id, xin gửi address_string hoặc lat và long (address_id is not \
             supported: send address_string, or lat and long)"
        } else {
            "thiếu vị trí: address_string hoặc lat và long (a location is required: \
             address_string, or lat and long)"
        };
        return Err(Open311Error::invalid(message));
    }
    Ok(lines.join("\n"))
}

fn bad_point() -> Open311Error {
    Open311Error::invalid(
        "lat và long phải đi cùng nhau và là tọa độ WGS84 (lat and long go together, as WGS84 \
         degrees)",
    )
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// What identifies a request within its client: a digest of everything it says.
fn fingerprint(request: &Open311Submission) -> String {
    let mut hasher = Sha256::new();
    let fields = [
        &request.service_code,
        &request.description,
        &request.address_string,
        &request.address_id,
        &request.lat,
        &request.long,
        &request.email,
        &request.phone,
        &request.first_name,
        &request.last_name,
    ];
    for field in fields {
        // Each field with its length, so that no two requests run together alike.
        let value = present(field).unwrap_or("");
        hasher.update((value.len() as u64).to_be_bytes());
        hasher.update(value.as_bytes());
    }
    for (code, value) in &request.attributes {
        for part in [code.as_str(), value.trim()] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
    }
    hex(&hasher.finalize())
}

/// The form field a refusal of the hub's intake is about.
fn field_name(field: &str) -> &str {
    match field {
        "title" => "attribute[title]",
        "content" => "description",
        "citizen_name" => "first_name/last_name",
        other => other,
    }
}
