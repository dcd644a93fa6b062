//! The query string of the published-case listing: what a person may filter by, checked before
//! the hub is asked, with a Vietnamese message for anything that is not a choice the form offers.
//!
//! Keys are Vietnamese words without diacritics, like the paths: `tim` (search), `khu-vuc`
//! (area), `linh-vuc` (category), `loai` (kind), `tinh-trang` (report bucket), `nam` (year),
//! `sau` (the cursor: the code the page starts after). An empty value is no filter, so the
//! form's "all" choices need no JavaScript to drop them; unknown keys are ignored.

use std::collections::HashMap;

use hdnd_hub::catalog::PublicFilter;
use hdnd_hub::domain::{Bucket, CaseCode, CaseKind, CouncilProfile};
use hdnd_hub::search::SearchQuery;
use serde::Serialize;

use crate::error::WebError;

/// Longer searches are refused rather than cut, so a pasted paragraph is noticed.
const MAX_SEARCH_CHARS: usize = 200;

/// The buckets as the query string names them.
pub(crate) const BUCKETS: [(&str, Bucket); 3] = [
    ("da-giai-quyet", Bucket::Resolved),
    ("da-giai-trinh", Bucket::Explained),
    ("dang-giai-quyet", Bucket::InHand),
];

/// The listing's query, checked: the filter for the hub, and the choices as typed, for the form
/// and the links to the next page.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    pub(crate) filter: PublicFilter,
    pub(crate) typed: Typed,
}

/// The choices as the form shows them again (and the next page's link repeats them).
#[derive(Debug, Default, Clone, Serialize)]
pub(crate) struct Typed {
    pub(crate) tim: String,
    #[serde(rename = "khu-vuc")]
    pub(crate) khu_vuc: String,
    #[serde(rename = "linh-vuc")]
    pub(crate) linh_vuc: String,
    pub(crate) loai: String,
    #[serde(rename = "tinh-trang")]
    pub(crate) tinh_trang: String,
    pub(crate) nam: String,
}

impl Typed {
    /// Whether any filter is chosen.
    pub(crate) fn any(&self) -> bool {
        [
            &self.tim,
            &self.khu_vuc,
            &self.linh_vuc,
            &self.loai,
            &self.tinh_trang,
            &self.nam,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }

    /// The query string of these choices (only those set), with `sau` when given.
    pub(crate) fn query(&self, after: Option<&CaseCode>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("tim", &self.tim),
            ("khu-vuc", &self.khu_vuc),
            ("linh-vuc", &self.linh_vuc),
            ("loai", &self.loai),
            ("tinh-trang", &self.tinh_trang),
            ("nam", &self.nam),
        ] {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
        if let Some(code) = after {
            query.append_pair("sau", code.as_str());
        }
        query.finish()
    }
}

impl Listing {
    /// Checks every key the listing knows against the council profile.
    pub(crate) fn parse(
        query: &HashMap<String, String>,
        profile: &CouncilProfile,
    ) -> Result<Self, WebError> {
        let value = |key: &str| query.get(key).map_or("", |v| v.trim());
        let mut listing = Listing::default();
        let (filter, typed) = (&mut listing.filter, &mut listing.typed);

        let tim = value("tim");
        if tim.chars().count() > MAX_SEARCH_CHARS {
            return Err(bad(format!(
                "Từ khóa tìm kiếm dài quá {MAX_SEARCH_CHARS} ký tự: hãy rút gọn."
            )));
        }
        if !tim.is_empty() {
            filter.search = Some(SearchQuery::parse(tim).ok_or_else(|| {
                bad("Từ khóa tìm kiếm cần có ít nhất một chữ hoặc một số.".to_owned())
            })?);
            typed.tim = tim.to_owned();
        }

        let area = value("khu-vuc");
        if !area.is_empty() {
            profile.area(area).ok_or_else(|| {
                bad(format!(
                    "Không có địa bàn “{area}”: hãy chọn trong danh sách."
                ))
            })?;
            filter.area = Some(area.to_owned());
            typed.khu_vuc = area.to_owned();
        }

        let category = value("linh-vuc");
        if !category.is_empty() {
            profile.category(category).ok_or_else(|| {
                bad(format!(
                    "Không có lĩnh vực “{category}”: hãy chọn trong danh sách."
                ))
            })?;
            filter.category = Some(category.to_owned());
            typed.linh_vuc = category.to_owned();
        }

        let kind = value("loai");
        if !kind.is_empty() {
            let parsed = kind
                .parse::<CaseKind>()
                .ok()
                .filter(|k| *k != CaseKind::ToCao)
                .ok_or_else(|| {
                    bad(format!(
                        "Không có loại hồ sơ công khai “{kind}”: hãy chọn trong danh sách."
                    ))
                })?;
            filter.kind = Some(parsed);
            typed.loai = kind.to_owned();
        }

        let bucket = value("tinh-trang");
        if !bucket.is_empty() {
            let (_, parsed) = BUCKETS
                .iter()
                .find(|(name, _)| *name == bucket)
                .ok_or_else(|| {
                    bad(format!(
                        "Không có tình trạng “{bucket}”: hãy chọn trong danh sách."
                    ))
                })?;
            filter.bucket = Some(*parsed);
            typed.tinh_trang = bucket.to_owned();
        }

        let year = value("nam");
        if !year.is_empty() {
            let parsed = year
                .parse::<i32>()
                .ok()
                .filter(|y| (2000..=2100).contains(y))
                .ok_or_else(|| {
                    bad(format!(
                        "Năm “{year}” không hợp lệ: hãy dùng bốn chữ số, ví dụ 2026."
                    ))
                })?;
            filter.year = Some(parsed);
            typed.nam = parsed.to_string();
        }

        let after = value("sau");
        if !after.is_empty() {
            filter.after = Some(CaseCode::parse(after).map_err(|_| {
                bad(format!(
                    "“{after}” không phải là mã hồ sơ, nên không biết trang sau bắt đầu từ đâu."
                ))
            })?);
        }
        Ok(listing)
    }
}

fn bad(message: String) -> WebError {
    WebError::BadRequest(message)
}
