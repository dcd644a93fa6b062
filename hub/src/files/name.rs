//! The original name of a file, made safe to show and to offer as a download name.

use super::sniff::SniffedType;

/// Longest cleaned name, in characters, extension included.
const MAX_CHARS: usize = 120;
/// Longest cleaned name in UTF-8 bytes: Vietnamese letters take up to three bytes each, and
/// common filesystems allow 255.
const MAX_BYTES: usize = 240;
/// The stem used when nothing of the sender's name is left ("attached file").
const FALLBACK_STEM: &str = "tep-dinh-kem";

/// The sender's file name, cleaned, with an extension that matches the sniffed type.
///
/// Keeps only the last path component (after `/` or `\`), drops control characters and
/// `<>:"/\|?*`, collapses runs of whitespace to one space, trims dots and spaces at both ends and
/// caps the length, keeping the extension. The extension is the sniffed type's canonical one
/// unless the sender's is one of [`SniffedType::accepted_extensions`] (so `IMG.JPEG` stays
/// `IMG.jpeg`, `photo.pdf` sniffed as PNG becomes `photo.png`, `run.bat` sniffed as text becomes
/// `run.txt`). An empty result becomes `tep-dinh-kem.<ext>`.
pub fn clean_name(original: &str, kind: SniffedType) -> String {
    let base = original.rsplit(['/', '\\']).next().unwrap_or_default();
    // Tabs and line breaks separate words, so they become spaces before controls are dropped.
    let kept: String = base
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control() && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*'))
        .collect();
    let collapsed = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = trim_dots_and_spaces(&collapsed);

    let (stem, sender_extension) = match trimmed.rsplit_once('.') {
        Some((stem, ext)) if looks_like_extension(ext) => (stem, Some(ext.to_ascii_lowercase())),
        _ => (trimmed, None),
    };
    let extension = sender_extension
        .filter(|ext| kind.accepted_extensions().contains(&ext.as_str()))
        .unwrap_or_else(|| kind.extension().to_owned());

    // Room for the stem once ".ext" is counted; extensions are short ASCII.
    let stem = truncate(
        stem,
        MAX_CHARS - 1 - extension.len(),
        MAX_BYTES - 1 - extension.len(),
    );
    let stem = trim_dots_and_spaces(stem);
    let stem = if stem.is_empty() {
        FALLBACK_STEM.to_owned()
    } else if is_reserved_on_windows(stem) {
        format!("_{stem}")
    } else {
        stem.to_owned()
    };
    format!("{stem}.{extension}")
}

fn trim_dots_and_spaces(s: &str) -> &str {
    s.trim_matches(|c: char| c == '.' || c.is_whitespace())
}

/// Up to eight ASCII letters and digits: `pdf`, `docx`, `jpeg`; not `final draft`.
fn looks_like_extension(ext: &str) -> bool {
    (1..=8).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn truncate(s: &str, max_chars: usize, max_bytes: usize) -> &str {
    let end = s
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take(max_chars)
        .take_while(|&end| end <= max_bytes)
        .last()
        .unwrap_or(0);
    &s[..end]
}

/// `CON`, `NUL`, `COM1` and the like cannot be file names on Windows, whatever follows the dot.
fn is_reserved_on_windows(stem: &str) -> bool {
    let head = stem
        .split('.')
        .next()
        .unwrap_or(stem)
        .trim_end()
        .to_ascii_uppercase();
    matches!(head.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((head.starts_with("COM") || head.starts_with("LPT"))
            && head.len() == 4
            && head.as_bytes()[3].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_base_name_is_kept_for_both_kinds_of_slash() {
        assert_eq!(
            clean_name("../../etc/passwd", SniffedType::Text),
            "passwd.txt"
        );
        assert_eq!(
            clean_name("C:\\Users\\a\\đơn khiếu nại.pdf", SniffedType::Pdf),
            "đơn khiếu nại.pdf"
        );
        assert_eq!(clean_name("dir/", SniffedType::Pdf), "tep-dinh-kem.pdf");
    }

    #[test]
    fn control_and_unsafe_characters_go_and_whitespace_collapses() {
        assert_eq!(
            clean_name(
                "  bá\u{0}o\tcáo\r\n<cuối>: \"năm\"|?*  .docx",
                SniffedType::Docx
            ),
            "báo cáo cuối năm.docx"
        );
        assert_eq!(
            clean_name("...hidden.pdf...", SniffedType::Pdf),
            "hidden.pdf"
        );
        assert_eq!(
            clean_name("\u{1b}\u{7f}", SniffedType::Png),
            "tep-dinh-kem.png"
        );
        assert_eq!(clean_name("", SniffedType::Odt), "tep-dinh-kem.odt");
        assert_eq!(clean_name(".pdf", SniffedType::Pdf), "pdf.pdf");
    }

    #[test]
    fn the_extension_follows_the_sniffed_type() {
        assert_eq!(clean_name("photo.pdf", SniffedType::Png), "photo.png");
        assert_eq!(
            clean_name("IMG_0001.JPEG", SniffedType::Jpeg),
            "IMG_0001.jpeg"
        );
        assert_eq!(clean_name("run.bat", SniffedType::Text), "run.txt");
        assert_eq!(clean_name("số liệu.csv", SniffedType::Text), "số liệu.csv");
        assert_eq!(
            clean_name("report.pdf.exe", SniffedType::Pdf),
            "report.pdf.pdf"
        );
        assert_eq!(
            clean_name("bản cuối. đã ký", SniffedType::Pdf),
            "bản cuối. đã ký.pdf"
        );
        assert_eq!(clean_name("scan", SniffedType::Heic), "scan.heic");
    }

    #[test]
    fn names_reserved_on_windows_get_a_prefix() {
        assert_eq!(clean_name("CON.txt", SniffedType::Text), "_CON.txt");
        assert_eq!(clean_name("com1.pdf", SniffedType::Pdf), "_com1.pdf");
        assert_eq!(clean_name("console.pdf", SniffedType::Pdf), "console.pdf");
    }

    #[test]
    fn a_very_long_name_is_cut_but_keeps_its_extension() {
        let long = format!("{}.pdf", "đơn ".repeat(100));
        let cleaned = clean_name(&long, SniffedType::Pdf);
        assert!(cleaned.ends_with("đơn.pdf"), "{cleaned}");
        assert!(cleaned.chars().count() <= MAX_CHARS);
        assert!(cleaned.len() <= MAX_BYTES);

        let wide = format!("{}.pdf", "ệ".repeat(200));
        let cleaned = clean_name(&wide, SniffedType::Pdf);
        assert!(cleaned.len() <= MAX_BYTES, "{}", cleaned.len());
        assert!(cleaned.ends_with("ệ.pdf"));

        let ascii = format!("{}.docx", "a".repeat(500));
        let cleaned = clean_name(&ascii, SniffedType::Docx);
        assert_eq!(cleaned.chars().count(), MAX_CHARS);
        assert!(cleaned.ends_with("a.docx"));
    }
}
