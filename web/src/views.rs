//! The handlebars templates of the portal: built into the binary, and replaced by the files
//! under `<templates>/web/` when an operator put them there, so a text can change without a
//! rebuild.

use std::path::Path;

use handlebars::Handlebars;
use serde::Serialize;

/// Every template, with its built-in text.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../../templates/web/layout.hbs")),
    ("lookup", include_str!("../../templates/web/lookup.hbs")),
    (
        "case_item",
        include_str!("../../templates/web/case_item.hbs"),
    ),
    ("home", include_str!("../../templates/web/home.hbs")),
    ("about", include_str!("../../templates/web/about.hbs")),
    ("cases", include_str!("../../templates/web/cases.hbs")),
    ("case", include_str!("../../templates/web/case.hbs")),
    ("error", include_str!("../../templates/web/error.hbs")),
    (
        "unsubscribe",
        include_str!("../../templates/web/unsubscribe.hbs"),
    ),
    ("message", include_str!("../../templates/web/message.hbs")),
    ("withdraw", include_str!("../../templates/web/withdraw.hbs")),
    (
        "case_private",
        include_str!("../../templates/web/case_private.hbs"),
    ),
    ("calendar", include_str!("../../templates/web/calendar.hbs")),
    ("chart", include_str!("../../templates/web/chart.hbs")),
    (
        "statistics",
        include_str!("../../templates/web/statistics.hbs"),
    ),
    (
        "calendar_day",
        include_str!("../../templates/web/calendar_day.hbs"),
    ),
];

/// A template that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {message}")]
pub struct ViewError {
    pub name: String,
    pub message: String,
}

/// The compiled templates. Strict mode: a missing value is an error, not an empty string.
/// `{{…}}` escapes HTML, and the templates never use `{{{…}}}`.
#[derive(Debug)]
pub struct Views {
    registry: Handlebars<'static>,
}

impl Views {
    /// Compiles the templates, preferring `<dir>/web/<name>.hbs` over the built-in copy.
    pub fn load(dir: Option<&Path>) -> Result<Self, ViewError> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        for (name, builtin) in TEMPLATES {
            let file = dir.map(|d| d.join("web").join(format!("{name}.hbs")));
            let text = match file.as_deref().filter(|f| f.is_file()) {
                Some(file) => std::fs::read_to_string(file).map_err(|e| ViewError {
                    name: file.display().to_string(),
                    message: e.to_string(),
                })?,
                None => (*builtin).to_owned(),
            };
            registry
                .register_template_string(name, text)
                .map_err(|e| ViewError {
                    name: (*name).to_owned(),
                    message: e.to_string(),
                })?;
        }
        Ok(Self { registry })
    }

    /// The built-in templates only.
    pub fn builtin() -> Self {
        Self::load(None).expect("the built-in templates compile")
    }

    pub(crate) fn render(
        &self,
        name: &str,
        data: &impl Serialize,
    ) -> Result<String, handlebars::RenderError> {
        self.registry.render(name, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_templates_compile_and_escape() {
        let views = Views::builtin();
        let data = serde_json::json!({
            "page_title": "<b>Lỗi</b>",
            "council": { "name": "HĐND", "locality": "Hải Phòng" },
            "nav": { "home": false, "cases": false, "calendar": false, "stats": false, "about": false },
            "code_example": "HB.20261126.0012",
            "assets": { "css": "/static/site.css" },
            "heading": "Không tìm thấy trang",
            "message": "<script>",
        });
        let html = views.render("error", &data).unwrap();
        assert!(html.starts_with("<!doctype html>\n<html lang=\"vi\">"));
        assert!(html.contains("&lt;b&gt;Lỗi&lt;/b&gt;") && html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>"));
    }

    #[test]
    fn a_missing_value_is_an_error_in_strict_mode() {
        let views = Views::builtin();
        assert!(views.render("error", &serde_json::json!({})).is_err());
    }

    #[test]
    fn an_operator_template_replaces_the_built_in_one() {
        let dir = std::env::temp_dir().join(format!("hdnd-views-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("web")).unwrap();
        std::fs::write(dir.join("web").join("error.hbs"), "Lỗi: {{message}}").unwrap();
        let views = Views::load(Some(&dir)).unwrap();
        let html = views
            .render("error", &serde_json::json!({ "message": "a & b" }))
            .unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(html, "Lỗi: a &amp; b");
    }
}
