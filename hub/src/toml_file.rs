//! Errors in TOML files that name the file, the key and the line, for the council profile and
//! the settings file alike.

use std::fmt;

use chrono::NaiveDate;
use serde_spanned::Spanned;

/// A bad value in a TOML file: which file, which key, which line, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: `{key}`: {message}")]
pub struct FileError {
    pub file: String,
    pub key: String,
    pub line: usize,
    pub message: String,
}

/// Turns byte offsets of a TOML text into lines and dotted keys.
#[derive(Debug, Clone, Copy)]
pub struct Locator<'a> {
    file: &'a str,
    text: &'a str,
}

impl<'a> Locator<'a> {
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Self { file, text }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The 1-based line holding `offset`.
    pub fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        self.text.as_bytes()[..offset]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    /// The dotted key of the line holding `offset`: the last table header above it plus the
    /// key before `=` on that line.
    pub fn key_at(&self, offset: usize) -> String {
        let line_no = self.line(offset);
        let mut table = String::new();
        let mut key = String::new();
        for (i, line) in self.text.lines().enumerate().take(line_no) {
            let line = line.trim();
            if let Some(header) = line.strip_prefix('[') {
                let header = header.trim_start_matches('[');
                table = header
                    .split(']')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                key.clear();
            } else if i + 1 == line_no
                && !line.starts_with('#')
                && let Some((k, _)) = line.split_once('=')
            {
                key = k.trim().to_owned();
            }
        }
        match (table.is_empty(), key.is_empty()) {
            (true, _) => key,
            (false, true) => table,
            (false, false) => format!("{table}.{key}"),
        }
    }

    /// The line of `key = …` inside `[table]` (the top level for an empty table), or 0.
    pub fn line_of_key(&self, table: &str, key: &str) -> usize {
        let mut current = String::new();
        for (i, line) in self.text.lines().enumerate() {
            let line = line.trim();
            if let Some(header) = line.strip_prefix('[') {
                current = header
                    .split(']')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
            } else if current == table && line.split_once('=').is_some_and(|(k, _)| k.trim() == key)
            {
                return i + 1;
            }
        }
        0
    }

    /// An error about `key` at byte `offset`.
    pub fn error(&self, key: &str, offset: usize, message: impl fmt::Display) -> FileError {
        FileError {
            file: self.file.to_owned(),
            key: key.to_owned(),
            line: self.line(offset),
            message: message.to_string(),
        }
    }

    /// An error about a value read with its span.
    pub fn spanned<T>(
        &self,
        key: &str,
        value: &Spanned<T>,
        message: impl fmt::Display,
    ) -> FileError {
        self.error(key, value.span().start, message)
    }

    /// A syntax or type error of the deserializer, located by its span.
    pub fn de_error(&self, e: &toml::de::Error) -> FileError {
        let offset = e.span().map_or(0, |s| s.start);
        self.error(&self.key_at(offset), offset, e.message())
    }

    /// A `YYYY-MM-DD` date.
    pub fn date(&self, key: &str, value: &Spanned<String>) -> Result<NaiveDate, FileError> {
        NaiveDate::parse_from_str(value.get_ref(), "%Y-%m-%d").map_err(|_| {
            self.spanned(
                key,
                value,
                format!("`{}` is not a real date (YYYY-MM-DD)", value.get_ref()),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "top = 1\n[web]   # the portal\nport = \"x\"\n[[areas]]\ncode = \"a\"\n";

    #[test]
    fn keys_and_lines_are_found_past_comments_and_array_headers() {
        let at = Locator::new("f.toml", TEXT);
        assert_eq!(at.key_at(TEXT.find("\"x\"").unwrap()), "web.port");
        assert_eq!(at.line(TEXT.find("\"x\"").unwrap()), 3);
        assert_eq!(at.key_at(TEXT.find("\"a\"").unwrap()), "areas.code");
        assert_eq!(at.key_at(0), "top");
        assert_eq!(at.line_of_key("web", "port"), 3);
        assert_eq!(at.line_of_key("", "top"), 1);
        assert_eq!(at.line_of_key("web", "host"), 0);
    }
}
