//! Atom 1.0 documents (RFC 4287), written by hand: the feed is small and fixed, and a writer
//! of our own keeps the escaping in one place we can read and test.
//!
//! Every text goes through [`text`]: markup is escaped, and what XML 1.0 forbids (control
//! characters) or what would let a title spoof its neighbours in a reader (bidirectional
//! overrides, [`is_spoofing`]) is dropped, so hostile case text cannot break the document.

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};

/// A feed and its entries, as written.
#[derive(Debug)]
pub(crate) struct Feed {
    /// The feed's own absolute URL, also its id.
    pub(crate) self_url: String,
    /// The page the feed follows.
    pub(crate) html_url: String,
    pub(crate) title: String,
    pub(crate) author: String,
    pub(crate) updated: DateTime<Utc>,
    pub(crate) entries: Vec<Entry>,
}

/// One entry: a published case.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The case page's absolute URL, also the entry's id.
    pub(crate) url: String,
    pub(crate) title: String,
    pub(crate) published: DateTime<Utc>,
    pub(crate) updated: DateTime<Utc>,
    pub(crate) summary: String,
    pub(crate) content: Option<String>,
    /// Category labels (kind, area, category, status).
    pub(crate) categories: Vec<String>,
}

impl Feed {
    /// The document, in UTF-8.
    pub(crate) fn render(&self) -> String {
        let mut out = String::with_capacity(1024 + self.entries.len() * 1024);
        out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        out.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">\n");
        element(&mut out, 1, "id", &self.self_url);
        element(&mut out, 1, "title", &self.title);
        element(&mut out, 1, "updated", &instant(self.updated));
        link(&mut out, 1, "self", "application/atom+xml", &self.self_url);
        link(&mut out, 1, "alternate", "text/html", &self.html_url);
        out.push_str("  <author>\n");
        element(&mut out, 2, "name", &self.author);
        out.push_str("  </author>\n");
        for entry in &self.entries {
            entry.render(&mut out);
        }
        out.push_str("</feed>\n");
        out
    }
}

impl Entry {
    fn render(&self, out: &mut String) {
        out.push_str("  <entry>\n");
        element(out, 2, "id", &self.url);
        element(out, 2, "title", &self.title);
        element(out, 2, "published", &instant(self.published));
        element(out, 2, "updated", &instant(self.updated));
        link(out, 2, "alternate", "text/html", &self.url);
        for label in &self.categories {
            let label = text(label);
            let _ = writeln!(out, "    <category term=\"{label}\" label=\"{label}\"/>");
        }
        let _ = writeln!(
            out,
            "    <summary type=\"text\">{}</summary>",
            text(&self.summary)
        );
        if let Some(content) = &self.content {
            let _ = writeln!(
                out,
                "    <content type=\"text\">{}</content>",
                text(content)
            );
        }
        out.push_str("  </entry>\n");
    }
}

fn element(out: &mut String, depth: usize, name: &str, value: &str) {
    let indent = " ".repeat(depth * 2);
    let _ = writeln!(out, "{indent}<{name}>{}</{name}>", text(value));
}

fn link(out: &mut String, depth: usize, rel: &str, kind: &str, href: &str) {
    let indent = " ".repeat(depth * 2);
    let _ = writeln!(
        out,
        "{indent}<link rel=\"{rel}\" type=\"{kind}\" href=\"{}\"/>",
        text(href)
    );
}

/// RFC 3339 in UTC, to the second: `2026-12-04T09:30:00Z`.
fn instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `value` as XML character data or attribute value.
pub(crate) fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' => out.push(c),
            // A bare CR would be read back as a line feed anyway.
            '\r' => {}
            c if !xml_char(c) || is_spoofing(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// Whether XML 1.0 allows `c` in a document (its `Char` production, tab and line ends aside).
fn xml_char(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Bidirectional embeddings, overrides and isolates: Vietnamese text never needs them, and in
/// a feed reader's list they can make one title look like another.
pub(crate) fn is_spoofing(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_and_illegal_characters_dropped() {
        let hostile = "<script>alert('x')</script> & ]]> \u{0}\u{1b}\u{202E}gnp.exe\u{FFFF} Đèn";
        assert_eq!(
            text(hostile),
            "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; ]]&gt; gnp.exe Đèn"
        );
    }

    #[test]
    fn a_feed_names_itself_and_each_entry_by_absolute_url() {
        let at = DateTime::parse_from_rfc3339("2026-12-04T09:30:00+07:00")
            .unwrap()
            .with_timezone(&Utc);
        let feed = Feed {
            self_url: "https://hdnd.example/nguon/ho-so.atom".to_owned(),
            html_url: "https://hdnd.example/ho-so".to_owned(),
            title: "Hồ sơ".to_owned(),
            author: "HĐND".to_owned(),
            updated: at,
            entries: vec![Entry {
                url: "https://hdnd.example/ho-so/HB.20261126.0001".to_owned(),
                title: "Đèn ngõ 12".to_owned(),
                published: at,
                updated: at,
                summary: "Đèn hỏng.".to_owned(),
                content: None,
                categories: vec!["Kiến nghị".to_owned()],
            }],
        };
        let xml = feed.render();
        assert!(
            xml.contains("<updated>2026-12-04T02:30:00Z</updated>"),
            "{xml}"
        );
        assert!(xml.contains("<id>https://hdnd.example/ho-so/HB.20261126.0001</id>"));
        assert!(xml.contains("<category term=\"Kiến nghị\" label=\"Kiến nghị\"/>"));
        assert!(!xml.contains("<content"), "no answer, no content");
    }
}
