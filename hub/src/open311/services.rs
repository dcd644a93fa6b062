//! The council profile's categories (lĩnh vực) as Open311 services, and the one definition they
//! share: what a client sends besides the description and the location.

use crate::domain::CaseKind;

use super::{Open311, Open311Error};

/// One service of the list (`GET /services`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Service {
    /// The category's code in the council profile.
    pub code: String,
    pub name: String,
    pub description: String,
    /// Comma-separated.
    pub keywords: String,
    pub group: String,
}

/// What the client must or may send with a request of a service (`GET /services/{code}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDefinition {
    pub code: String,
    pub attributes: Vec<Attribute>,
}

/// GeoReport v2's datatypes of an attribute (only those this council's attributes use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    String,
    SingleValueList,
}

impl Datatype {
    pub fn as_str(self) -> &'static str {
        match self {
            Datatype::String => "string",
            Datatype::SingleValueList => "singlevaluelist",
        }
    }
}

/// One attribute of a service definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Whether the client sends a value (false: an explanation only).
    pub variable: bool,
    /// Sent as `attribute[code]`.
    pub code: &'static str,
    pub datatype: Datatype,
    pub required: bool,
    pub datatype_description: String,
    /// Positive and unique within the definition.
    pub order: u32,
    pub description: String,
    /// The allowed values of a list.
    pub values: Vec<AttributeValue>,
}

/// One value of a list attribute: what is sent, and what a person reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// The kinds a client may file. A denunciation (tố cáo) seals its denouncer's identity, which
/// an API client cannot promise; a voters' petition (kiến nghị cử tri) is recorded by staff
/// from a voters' meeting. A complaint is a first complaint, as the bot files it.
pub(crate) const KINDS: [CaseKind; 4] = [
    CaseKind::PhanAnh,
    CaseKind::KienNghi,
    CaseKind::YKien,
    CaseKind::KhieuNai,
];

/// The kind of a request that names none: a report is what Open311 is made for.
pub(crate) const DEFAULT_KIND: CaseKind = CaseKind::PhanAnh;

pub(crate) const TITLE: &str = "title";
pub(crate) const KIND: &str = "kind";
pub(crate) const AREA: &str = "area";
pub(crate) const CONSENT: &str = "consent";

impl Open311<'_> {
    /// Every category of the council profile, in its order.
    pub fn services(&self) -> Vec<Open311Service> {
        let profile = self.hub.profile();
        profile
            .categories
            .iter()
            .map(|category| Open311Service {
                code: category.code.clone(),
                name: category.name.clone(),
                description: format!(
                    "Phản ánh, kiến nghị về lĩnh vực {} gửi {}",
                    category.name.to_lowercase(),
                    profile.name
                ),
                keywords: category
                    .name
                    .split(',')
                    .map(|word| word.trim().to_lowercase())
                    .chain(["phản ánh".to_owned(), "kiến nghị".to_owned()])
                    .collect::<Vec<_>>()
                    .join(","),
                group: profile.name.clone(),
            })
            .collect()
    }

    /// The definition of the service `code`; `NotFound` for a code the profile does not have.
    pub fn definition(&self, code: &str) -> Result<ServiceDefinition, Open311Error> {
        let profile = self.hub.profile();
        let category = profile
            .category(code)
            .ok_or_else(|| unknown_service(code))?;
        let kinds = KINDS
            .iter()
            .map(|kind| AttributeValue {
                key: kind.as_str().to_owned(),
                name: kind.label_vi().to_owned(),
            })
            .collect();
        let areas = profile
            .areas
            .iter()
            .map(|area| AttributeValue {
                key: area.code.clone(),
                name: area.name.clone(),
            })
            .collect();
        let consent = [("true", "Đồng ý công khai"), ("false", "Không công khai")]
            .into_iter()
            .map(|(key, name)| AttributeValue {
                key: key.to_owned(),
                name: name.to_owned(),
            })
            .collect();
        Ok(ServiceDefinition {
            code: category.code.clone(),
            attributes: vec![
                Attribute {
                    variable: true,
                    code: TITLE,
                    datatype: Datatype::String,
                    required: true,
                    datatype_description: "Tối đa 300 ký tự (at most 300 characters)".to_owned(),
                    order: 1,
                    description: "Tiêu đề ngắn gọn của phản ánh, kiến nghị".to_owned(),
                    values: Vec::new(),
                },
                Attribute {
                    variable: true,
                    code: KIND,
                    datatype: Datatype::SingleValueList,
                    required: false,
                    datatype_description: format!(
                        "Mặc định: {} (default: {})",
                        DEFAULT_KIND.label_vi(),
                        DEFAULT_KIND.as_str()
                    ),
                    order: 2,
                    description: "Loại hồ sơ".to_owned(),
                    values: kinds,
                },
                Attribute {
                    variable: true,
                    code: AREA,
                    datatype: Datatype::SingleValueList,
                    required: false,
                    datatype_description: "Mã khu vực của Hội đồng (an area code)".to_owned(),
                    order: 3,
                    description: "Khu vực nơi xảy ra sự việc".to_owned(),
                    values: areas,
                },
                Attribute {
                    variable: true,
                    code: CONSENT,
                    datatype: Datatype::SingleValueList,
                    required: false,
                    datatype_description: "Mặc định: false (default: false)".to_owned(),
                    order: 4,
                    description: "Người gửi đồng ý để cán bộ công khai bản tóm tắt (không có \
                                  thông tin cá nhân) trên cổng thông tin"
                        .to_owned(),
                    values: consent,
                },
            ],
        })
    }
}

pub(super) fn unknown_service(code: &str) -> Open311Error {
    Open311Error::NotFound(format!(
        "không có dịch vụ mã `{code}` (no service has the code `{code}`)"
    ))
}
