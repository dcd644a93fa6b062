//! `/thong-ke`: the public statistics as bar charts drawn on the server with a table under
//! each, and `/thong-ke.csv`: the same figures for a spreadsheet.
//!
//! Every figure comes from [`hdnd_hub::catalog::PublicCatalog::statistics`], which counts every
//! received case but denunciations and returns numbers and profile names only.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use hdnd_hub::catalog::{PublicStatistics, StatisticLine};
use serde::Serialize;
use serde_json::json;

use crate::chart::{BarChart, vn_count, vn_decimal, vn_percent};
use crate::error::WebError;
use crate::public::{base, vn_date};
use crate::state::AppState;

/// One breakdown: its machine name (the CSV's `nhom`), its heading and its lines.
struct Group<'s> {
    key: &'static str,
    heading: &'static str,
    /// Whether the on-time rate gets a chart of its own (units and kinds).
    on_time_chart: bool,
    lines: &'s [StatisticLine],
}

fn groups(stats: &PublicStatistics) -> [Group<'_>; 6] {
    [
        Group {
            key: "trang_thai",
            heading: "Theo kết quả giải quyết",
            on_time_chart: false,
            lines: &stats.by_bucket,
        },
        Group {
            key: "loai",
            heading: "Theo loại đơn",
            on_time_chart: true,
            lines: &stats.by_kind,
        },
        Group {
            key: "co_quan",
            heading: "Theo cơ quan được chuyển đến",
            on_time_chart: true,
            lines: &stats.by_unit,
        },
        Group {
            key: "khu_vuc",
            heading: "Theo khu vực",
            on_time_chart: false,
            lines: &stats.by_area,
        },
        Group {
            key: "linh_vuc",
            heading: "Theo lĩnh vực",
            on_time_chart: false,
            lines: &stats.by_category,
        },
        Group {
            key: "nam",
            heading: "Theo năm tiếp nhận",
            on_time_chart: false,
            lines: &stats.by_year,
        },
    ]
}

/// A table row as printed; "—" where there is no figure.
#[derive(Debug, Serialize)]
struct LineView {
    name: String,
    cases: String,
    closed: String,
    on_time: String,
    median_days: String,
    overdue: String,
}

impl From<&StatisticLine> for LineView {
    fn from(line: &StatisticLine) -> Self {
        Self {
            name: line.name.clone(),
            cases: vn_count(line.cases),
            closed: vn_count(line.closed),
            on_time: line.on_time_percent().map_or_else(dash, vn_percent),
            median_days: line.median_days.map_or_else(dash, vn_decimal),
            overdue: vn_count(line.overdue),
        }
    }
}

fn dash() -> String {
    "—".to_owned()
}

async fn statistics(state: &AppState) -> Result<PublicStatistics, WebError> {
    let profile = state.hub.profile();
    let today = profile.local_date(state.hub.clock().now());
    Ok(state.hub.catalog().statistics(today).await?)
}

/// `/thong-ke`
pub(crate) async fn page(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    let stats = statistics(&state).await?;
    let sections: Vec<_> = groups(&stats)
        .iter()
        .map(|group| {
            let id = group.key.replace('_', "-");
            let counts: Vec<_> = group
                .lines
                .iter()
                .map(|l| (l.name.clone(), l.cases as f64, vn_count(l.cases)))
                .collect();
            let mut charts = vec![BarChart::new(
                &format!("bieu-do-{id}"),
                &format!("Số hồ sơ {}", group.heading.to_lowercase()),
                &counts,
            )];
            let rates: Vec<_> = group
                .lines
                .iter()
                .filter_map(|l| {
                    l.on_time_percent()
                        .map(|p| (l.name.clone(), p, vn_percent(p)))
                })
                .collect();
            if group.on_time_chart && !rates.is_empty() {
                charts.push(BarChart::new(
                    &format!("bieu-do-{id}-dung-han"),
                    &format!("Tỷ lệ giải quyết đúng hạn {}", group.heading.to_lowercase()),
                    &rates,
                ));
            }
            json!({
                "id": id,
                "heading": group.heading,
                "charts": charts,
                "lines": group.lines.iter().map(LineView::from).collect::<Vec<_>>(),
            })
        })
        .collect();
    let mut view = base(&state, "Thống kê", Some("stats"));
    view["today"] = json!(vn_date(stats.today));
    view["total"] = json!(LineView::from(&stats.total));
    view["sections"] = json!(sections);
    Ok(Html(state.views.render("statistics", &view)?))
}

/// `/thong-ke.csv`: UTF-8 with a byte-order mark, so that Excel reads the Vietnamese right.
pub(crate) async fn csv(State(state): State<AppState>) -> Result<Response, WebError> {
    let stats = statistics(&state).await?;
    let mut out = String::from("\u{feff}");
    out.push_str("nhom,ten,so_ho_so,da_dong,dung_han_phan_tram,so_ngay_trung_vi,qua_han\r\n");
    let mut write = |key: &str, line: &StatisticLine| {
        let fields = [
            key.to_owned(),
            line.name.clone(),
            line.cases.to_string(),
            line.closed.to_string(),
            line.on_time_percent()
                .map_or_else(String::new, |p| format!("{p:.1}")),
            line.median_days
                .map_or_else(String::new, |d| format!("{d:.1}")),
            line.overdue.to_string(),
        ];
        let row: Vec<_> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    };
    write("tong", &stats.total);
    for group in groups(&stats) {
        for line in group.lines {
            write(group.key, line);
        }
    }
    let mut response = out.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"thong-ke.csv\""),
    );
    Ok(response)
}

/// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break, its quotes
/// doubled; a text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or a
/// carriage return first) gets a leading apostrophe. The figures are never negative, so no
/// number is touched.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("Phường Hồng Bàng"), "Phường Hồng Bàng");
        assert_eq!(csv_field("Giao thông, đô thị"), "\"Giao thông, đô thị\"");
        assert_eq!(csv_field("Nói \"rõ\""), "\"Nói \"\"rõ\"\"\"");
        assert_eq!(csv_field("dòng\nhai"), "\"dòng\nhai\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_field("@SUM"), "'@SUM");
        assert_eq!(csv_field("87.5"), "87.5");
    }
}
