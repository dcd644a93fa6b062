//! Search that ignores Vietnamese diacritics and case: "kien nghi duong" finds "Kiến nghị …
//! đường".
//!
//! The text of a published case is folded here, in Rust, when the case is stored, and the
//! databases only index the folded words: SQLite with FTS5, PostgreSQL with a GIN index over
//! `to_tsvector('simple', …)`. Folded text holds nothing but lowercase ASCII letters and digits
//! in words split by single spaces, so both tokenizers cut it into the same words and the same
//! query finds the same cases on both. A script without Latin letters (rare on a Vietnamese
//! council's portal) folds to nothing and is not searchable.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Longer words are cut here: no real word is this long, PostgreSQL refuses to index words
/// over 2 KiB, and a hostile 5,000-letter word must not be a cost.
const MAX_WORD: usize = 48;

/// A search asks for at most this many words; more are dropped.
const MAX_QUERY_WORDS: usize = 8;

/// `text` as the index keeps it: diacritics and case gone, đ as d, every run of anything but
/// a letter or digit turned into one space.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for word in words(text) {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.push_str(&word);
    }
    folded
}

/// The folded words of `text`, each at most [`MAX_WORD`] letters.
fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut chars = text.nfd().filter(|c| !is_combining_mark(*c)).peekable();
    std::iter::from_fn(move || {
        let mut word = String::new();
        for c in chars.by_ref() {
            match ascii_letter(c) {
                Some(letter) if word.len() < MAX_WORD => word.push(letter),
                Some(_) => {}
                None if word.is_empty() => {}
                None => return Some(word),
            }
        }
        (!word.is_empty()).then_some(word)
    })
}

/// The lowercase ASCII letter or digit `c` stands for once its marks are gone, if any.
fn ascii_letter(c: char) -> Option<char> {
    match c {
        'đ' | 'Đ' => Some('d'),
        c if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase()),
        _ => None,
    }
}

/// What a person typed in a search box, folded: the words every result must hold, each as a
/// prefix ("đườn" finds "đường").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    words: Vec<String>,
}

impl SearchQuery {
    /// The query, or `None` when nothing searchable was typed (spaces, punctuation only).
    pub fn parse(typed: &str) -> Option<Self> {
        let mut words: Vec<String> = Vec::new();
        for word in self::words(typed) {
            if !words.contains(&word) && words.len() < MAX_QUERY_WORDS {
                words.push(word);
            }
        }
        (!words.is_empty()).then_some(Self { words })
    }

    /// The words, folded.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// As an FTS5 query: every word, quoted, as a prefix.
    pub fn fts5(&self) -> String {
        let terms: Vec<String> = self.words.iter().map(|w| format!("\"{w}\"*")).collect();
        terms.join(" ")
    }

    /// As a PostgreSQL `tsquery`: every word as a prefix, all of them required.
    pub fn tsquery(&self) -> String {
        let terms: Vec<String> = self.words.iter().map(|w| format!("{w}:*")).collect();
        terms.join(" & ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_folds_to_plain_lowercase_words() {
        assert_eq!(
            fold("Kiến nghị sửa ĐƯỜNG Nguyễn Trãi, ngõ 12/3!"),
            "kien nghi sua duong nguyen trai ngo 12 3"
        );
        assert_eq!(fold("  Ồ… ỹ  "), "o y");
        assert_eq!(fold("<script>alert(1)</script>"), "script alert 1 script");
    }

    #[test]
    fn composed_and_decomposed_text_fold_alike() {
        let composed = "Nghị quyết";
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed, decomposed);
        assert_eq!(fold(composed), fold(&decomposed));
    }

    #[test]
    fn marks_without_letters_and_other_scripts_fold_to_nothing() {
        assert_eq!(fold("\u{202e}\u{200b} — … 中文 Ελλάδα"), "");
    }

    #[test]
    fn a_very_long_word_is_cut() {
        let folded = fold(&format!("{} ngắn", "ạ".repeat(5_000)));
        assert_eq!(folded, format!("{} ngan", "a".repeat(MAX_WORD)));
    }

    #[test]
    fn a_query_keeps_distinct_words_and_quotes_them_for_each_backend() {
        let query = SearchQuery::parse("Kiến nghị \"đường\" OR kien * -x").unwrap();
        assert_eq!(query.words(), ["kien", "nghi", "duong", "or", "x"]);
        assert_eq!(query.fts5(), r#""kien"* "nghi"* "duong"* "or"* "x"*"#);
        assert_eq!(query.tsquery(), "kien:* & nghi:* & duong:* & or:* & x:*");
    }

    #[test]
    fn nothing_searchable_is_no_query() {
        assert_eq!(SearchQuery::parse("  ,;:!  "), None);
        assert_eq!(SearchQuery::parse(""), None);
    }

    #[test]
    fn a_query_has_at_most_eight_words() {
        let query = SearchQuery::parse("a b c d e f g h i j").unwrap();
        assert_eq!(query.words().len(), MAX_QUERY_WORDS);
    }
}
