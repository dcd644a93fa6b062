//! The documents of Open311 GeoReport v2, written once as a tree and printed as XML or as JSON
//! by the Spark convention: a list resource (`services`, `service_requests`, `errors`) becomes
//! a top-level JSON array, and an object (`service_definition`, `discovery`) stays an object.
//!
//! The XML has the declaration, no namespace, and every text escaped; characters XML 1.0
//! cannot carry at all (most control characters) are dropped rather than breaking the document.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The two formats, chosen by the path's suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Xml,
    Json,
}

impl Format {
    /// `services.json` → (`services`, JSON); `None` for another suffix or none.
    pub(crate) fn split(file: &str) -> Option<(&str, Format)> {
        let (stem, suffix) = file.rsplit_once('.')?;
        let format = match suffix {
            "xml" => Format::Xml,
            "json" => Format::Json,
            _ => return None,
        };
        Some((stem, format))
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// A value of a document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Text(String),
    Bool(bool),
    Int(i64),
    /// Named fields, in order; a `None` field is left out.
    Object(Vec<(&'static str, Option<Value>)>),
    /// Items, each an element of this name in XML.
    List(&'static str, Vec<Value>),
}

impl Value {
    pub(crate) fn text(text: impl Into<String>) -> Self {
        Value::Text(text.into())
    }
}

/// A whole document: its root element and its value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    pub(crate) root: &'static str,
    pub(crate) value: Value,
}

impl Document {
    pub(crate) fn render(&self, format: Format) -> String {
        match format {
            Format::Xml => {
                let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
                element(&mut out, self.root, &self.value);
                out.push('\n');
                out
            }
            Format::Json => json(&self.value).to_string(),
        }
    }

    /// The response carrying this document with `status`.
    pub(crate) fn respond(&self, status: StatusCode, format: Format) -> Response {
        let mut response = (status, self.render(format)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.content_type()),
        );
        response
    }
}

fn element(out: &mut String, name: &str, value: &Value) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Value::Text(text) => escape(out, text),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => out.push_str(&n.to_string()),
        Value::Object(fields) => {
            for (field, value) in fields {
                if let Some(value) = value {
                    element(out, field, value);
                }
            }
        }
        Value::List(item, items) => {
            for value in items {
                element(out, item, value);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn escape(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

fn json(value: &Value) -> serde_json::Value {
    match value {
        Value::Text(text) => serde_json::Value::String(text.clone()),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(n) => serde_json::Value::from(*n),
        Value::Object(fields) => serde_json::Value::Object(
            fields
                .iter()
                .filter_map(|(field, value)| Some(((*field).to_owned(), json(value.as_ref()?))))
                .collect(),
        ),
        Value::List(_, items) => serde_json::Value::Array(items.iter().map(json).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Document {
        Document {
            root: "services",
            value: Value::List(
                "service",
                vec![Value::Object(vec![
                    ("service_code", Some(Value::text("001"))),
                    ("service_name", Some(Value::text("<b>&]]>\u{7}'\""))),
                    ("metadata", Some(Value::Bool(true))),
                    ("group", None),
                ])],
            ),
        }
    }

    #[test]
    fn xml_has_the_declaration_no_namespace_and_escapes_every_text() {
        let xml = sample().render(Format::Xml);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<services><service>\
             <service_code>001</service_code>\
             <service_name>&lt;b&gt;&amp;]]&gt;&apos;&quot;</service_name>\
             <metadata>true</metadata></service></services>\n"
        );
    }

    #[test]
    fn a_list_is_a_top_level_json_array_with_string_codes() {
        let json: serde_json::Value = serde_json::from_str(&sample().render(Format::Json)).unwrap();
        assert_eq!(json[0]["service_code"], "001");
        assert_eq!(json[0]["metadata"], true);
        assert!(json[0].get("group").is_none());
    }

    #[test]
    fn the_suffix_chooses_the_format() {
        assert_eq!(
            Format::split("HB.20261126.0001.json"),
            Some(("HB.20261126.0001", Format::Json))
        );
        assert_eq!(
            Format::split("services.xml"),
            Some(("services", Format::Xml))
        );
        assert_eq!(Format::split("services.html"), None);
        assert_eq!(Format::split("services"), None);
    }
}
