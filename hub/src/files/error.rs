//! Why a file was refused or could not be stored, with the sentence a citizen is told.

use std::io;

use super::sniff::{RefusedKind, SniffedType};
use crate::domain::Language;

/// A refused file, or a failure of the file store.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file has no bytes.
    #[error("the file is empty")]
    Empty,
    /// The file alone is over the per-file limit.
    #[error("the file is too large: {size} bytes, the limit is {limit}")]
    TooLarge { size: u64, limit: u64 },
    /// The file would take the case's files over their total limit.
    #[error("the case's files would take {} bytes, the limit is {limit}", used + size)]
    CaseQuotaExceeded { size: u64, used: u64, limit: u64 },
    /// The case already has as many files as it may.
    #[error("the case already has {limit} files, the most allowed")]
    TooManyFiles { limit: u32 },
    /// The bytes are not of an allowed type; `detected` names what they are when that is known.
    #[error("the file type is not allowed (detected: {detected:?})")]
    TypeNotAllowed { detected: Option<RefusedKind> },
    /// A hash that is not 64 lower-case hex digits.
    #[error("not a valid file hash")]
    InvalidHash,
    /// No bytes are stored under this hash.
    #[error("no file is stored under this hash")]
    NotFound,
    /// The store could not read or write.
    #[error("the file store failed")]
    Io(#[source] io::Error),
    /// This hub was built without a file store ([`crate::Hub::with_files`]).
    #[error("no file store is configured")]
    Unavailable,
}

impl From<io::Error> for FileError {
    fn from(error: io::Error) -> Self {
        Self::Io(error)
    }
}

impl FileError {
    /// True for a file the sender must change (size, count, type); false for a store failure.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Empty
                | Self::TooLarge { .. }
                | Self::CaseQuotaExceeded { .. }
                | Self::TooManyFiles { .. }
                | Self::TypeNotAllowed { .. }
        )
    }

    /// A short sentence for the person who sent the file, in their language.
    pub fn message(&self, lang: Language) -> String {
        let vi = lang == Language::Vi;
        match self {
            Self::Empty if vi => "Tệp rỗng, không có nội dung.".to_owned(),
            Self::Empty => "The file is empty.".to_owned(),
            Self::TooLarge { size, limit } if vi => format!(
                "Tệp quá lớn: {}; giới hạn {}.",
                format_size(*size, lang),
                format_size(*limit, lang)
            ),
            Self::TooLarge { size, limit } => format!(
                "The file is too large: {}; the limit is {}.",
                format_size(*size, lang),
                format_size(*limit, lang)
            ),
            Self::CaseQuotaExceeded { size, used, limit } if vi => format!(
                "Vượt quá tổng dung lượng tệp của hồ sơ: đã có {}, tệp này {}; giới hạn {}.",
                format_size(*used, lang),
                format_size(*size, lang),
                format_size(*limit, lang)
            ),
            Self::CaseQuotaExceeded { size, used, limit } => format!(
                "The case's files would be too large: {} already, this file {}; the limit is {}.",
                format_size(*used, lang),
                format_size(*size, lang),
                format_size(*limit, lang)
            ),
            Self::TooManyFiles { limit } if vi => {
                format!("Hồ sơ đã có đủ {limit} tệp, không thể đính kèm thêm.")
            }
            Self::TooManyFiles { limit } => {
                format!("The case already has {limit} files, the most allowed.")
            }
            Self::TypeNotAllowed { detected } => {
                let what =
                    detected.map_or(String::new(), |kind| format!(" ({})", kind.label(lang)));
                if vi {
                    format!(
                        "Loại tệp này không được chấp nhận{what}. Chỉ nhận: {}.",
                        SniffedType::allowed_list(lang)
                    )
                } else {
                    format!(
                        "This type of file is not accepted{what}. Accepted: {}.",
                        SniffedType::allowed_list(lang)
                    )
                }
            }
            Self::InvalidHash | Self::NotFound if vi => "Không tìm thấy tệp.".to_owned(),
            Self::InvalidHash | Self::NotFound => "The file was not found.".to_owned(),
            Self::Io(_) if vi => "Không lưu hoặc đọc được tệp; xin thử lại sau.".to_owned(),
            Self::Io(_) => {
                "The file could not be stored or read; please try again later.".to_owned()
            }
            Self::Unavailable if vi => "Hệ thống hiện không nhận tệp đính kèm.".to_owned(),
            Self::Unavailable => "Files are not accepted here at the moment.".to_owned(),
        }
    }
}

/// A size as a person reads it: `12,4 MB` in Vietnamese, `12.4 MB` in English.
///
/// 1 MB is 1024 × 1024 bytes here, so a limit of 10 MiB reads "10 MB". Sizes round up to one
/// decimal, so a file just over a limit never reads as equal to it.
pub fn format_size(bytes: u64, lang: Language) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    let (unit_size, unit) = match bytes {
        b if b >= MIB => (MIB, "MB"),
        b if b >= KIB => (KIB, "KB"),
        _ => return format!("{bytes} B"),
    };
    // Tenths of the unit, rounded up, in integers so nothing is lost to floating point.
    let tenths = (u128::from(bytes) * 10).div_ceil(u128::from(unit_size));
    let (whole, tenth) = (tenths / 10, tenths % 10);
    let separator = if lang == Language::Vi { ',' } else { '.' };
    if tenth == 0 {
        format!("{whole} {unit}")
    } else {
        format!("{whole}{separator}{tenth} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_with_the_decimal_separator_of_the_language() {
        let size = 13_002_343; // A byte over 12.4 MiB: rounded up.
        assert_eq!(format_size(size, Language::Vi), "12,5 MB");
        assert_eq!(format_size(10 * 1024 * 1024, Language::Vi), "10 MB");
        assert_eq!(format_size(1536, Language::En), "1.5 KB");
        assert_eq!(format_size(12, Language::En), "12 B");
        assert_eq!(format_size(u64::MAX, Language::En), "17592186044416 MB");
    }

    #[test]
    fn a_too_large_file_is_explained_in_vietnamese_and_english() {
        let error = FileError::TooLarge {
            size: 12 * 1024 * 1024 + 400 * 1024,
            limit: 10 * 1024 * 1024,
        };
        assert_eq!(
            error.message(Language::Vi),
            "Tệp quá lớn: 12,4 MB; giới hạn 10 MB."
        );
        assert_eq!(
            error.message(Language::En),
            "The file is too large: 12.4 MB; the limit is 10 MB."
        );
        assert!(error.is_refusal());
    }

    #[test]
    fn a_refused_type_names_what_was_found_and_what_is_accepted() {
        let error = FileError::TypeNotAllowed {
            detected: Some(RefusedKind::Executable),
        };
        let vi = error.message(Language::Vi);
        assert!(
            vi.starts_with("Loại tệp này không được chấp nhận (chương trình chạy được)."),
            "{vi}"
        );
        assert!(vi.contains("PDF"), "{vi}");
        let en = error.message(Language::En);
        assert!(en.contains("(a program)"), "{en}");
    }

    #[test]
    fn a_store_failure_is_not_a_refusal_and_tells_nothing_of_the_cause() {
        let error = FileError::Io(io::Error::other("disk /var/x full"));
        assert!(!error.is_refusal());
        assert!(!error.message(Language::En).contains("/var"));
    }
}
