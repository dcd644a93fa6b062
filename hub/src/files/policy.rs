//! Whether a file may be attached to a case: the limits from settings, the sniffed type and the
//! cleaned name. A pure step, done before the bytes reach the store.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::FileHash;
use super::error::FileError;
use super::name::clean_name;
use super::sniff::{SniffedType, sniff};
use crate::domain::Attachment;

const MIB: u64 = 1024 * 1024;

/// `[files]`: where files are kept and how much a case may carry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct FileSettings {
    /// The data folder of [`super::FsBlobStore`].
    pub dir: PathBuf,
    /// Largest single file, in bytes (10 MiB by default).
    pub max_file_bytes: u64,
    /// Largest total of a case's files, in bytes (25 MiB by default).
    pub max_case_bytes: u64,
    /// Most files on one case (10 by default).
    pub max_case_files: u32,
    /// Hours an upload attached to no case is kept before the orphan sweep deletes it (24 by
    /// default): long enough for a citizen to finish the dialogue it belongs to.
    pub orphan_grace_hours: u64,
}

impl Default for FileSettings {
    fn default() -> Self {
        let limits = FileLimits::default();
        Self {
            dir: PathBuf::from("data/files"),
            max_file_bytes: limits.max_file_bytes,
            max_case_bytes: limits.max_case_bytes,
            max_case_files: limits.max_case_files,
            orphan_grace_hours: 24,
        }
    }
}

impl FileSettings {
    /// How long an unattached upload is kept.
    pub fn orphan_grace(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.orphan_grace_hours.saturating_mul(3600))
    }

    /// The limits these settings set.
    pub fn limits(&self) -> FileLimits {
        FileLimits {
            max_file_bytes: self.max_file_bytes,
            max_case_bytes: self.max_case_bytes,
            max_case_files: self.max_case_files,
        }
    }
}

/// How much one file and one case may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileLimits {
    /// Largest single file, in bytes.
    pub max_file_bytes: u64,
    /// Largest total of a case's files, in bytes.
    pub max_case_bytes: u64,
    /// Most files on one case.
    pub max_case_files: u32,
}

impl Default for FileLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 10 * MIB,
            max_case_bytes: 25 * MIB,
            max_case_files: 10,
        }
    }
}

/// What a case already carries, as the `files` table counts it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseUsage {
    /// Files already attached.
    pub files: u32,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// A file that may be attached: the row for the `files` table. The bytes go to the
/// [`super::BlobStore`] under `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedFile {
    /// SHA-256 of the bytes, their key in the store.
    pub hash: FileHash,
    /// Size in bytes (`i64`, as SQL stores it).
    pub size: i64,
    /// The type sniffed from the bytes.
    pub content_type: SniffedType,
    /// The sender's name, cleaned, with an extension matching `content_type`.
    pub name: String,
}

impl From<AcceptedFile> for Attachment {
    fn from(file: AcceptedFile) -> Self {
        Attachment {
            file_name: file.name,
            content_type: file.content_type.mime().to_owned(),
            size_bytes: file.size,
            sha256: file.hash.as_str().to_owned(),
            file_id: None,
        }
    }
}

/// Accepts or refuses files against [`FileLimits`] and the allowed types.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FilePolicy {
    limits: FileLimits,
}

impl FilePolicy {
    /// A policy with these limits.
    pub fn new(limits: FileLimits) -> Self {
        Self { limits }
    }

    /// The limits it applies.
    pub fn limits(&self) -> FileLimits {
        self.limits
    }

    /// Admits files already accepted one by one (their sizes, in order) to a case that carries
    /// `on_case`, checking the count, each size and the case's total; returns the case's usage
    /// with them. For a new case's uploads and for information added later.
    pub fn admit(
        &self,
        on_case: CaseUsage,
        sizes: impl IntoIterator<Item = u64>,
    ) -> Result<CaseUsage, FileError> {
        let limits = self.limits;
        let mut usage = on_case;
        for size in sizes {
            if usage.files >= limits.max_case_files {
                return Err(FileError::TooManyFiles {
                    limit: limits.max_case_files,
                });
            }
            if size > limits.max_file_bytes {
                return Err(FileError::TooLarge {
                    size,
                    limit: limits.max_file_bytes,
                });
            }
            if usage.bytes.saturating_add(size) > limits.max_case_bytes {
                return Err(FileError::CaseQuotaExceeded {
                    size,
                    used: usage.bytes,
                    limit: limits.max_case_bytes,
                });
            }
            usage = CaseUsage {
                files: usage.files + 1,
                bytes: usage.bytes + size,
            };
        }
        Ok(usage)
    }

    /// Accepts `bytes`, sent under `name`, for a case that already carries `on_case`; or says
    /// why not. Checks, in order: empty, file count, file size, case total, type.
    pub fn accept(
        &self,
        name: &str,
        bytes: &[u8],
        on_case: CaseUsage,
    ) -> Result<AcceptedFile, FileError> {
        let limits = self.limits;
        // usize always fits u64 on the platforms we build for; saturate rather than panic.
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        if size == 0 {
            return Err(FileError::Empty);
        }
        if on_case.files >= limits.max_case_files {
            return Err(FileError::TooManyFiles {
                limit: limits.max_case_files,
            });
        }
        if size > limits.max_file_bytes {
            return Err(FileError::TooLarge {
                size,
                limit: limits.max_file_bytes,
            });
        }
        if on_case.bytes.saturating_add(size) > limits.max_case_bytes {
            return Err(FileError::CaseQuotaExceeded {
                size,
                used: on_case.bytes,
                limit: limits.max_case_bytes,
            });
        }
        let content_type = sniff(bytes)?;
        Ok(AcceptedFile {
            hash: FileHash::of(bytes),
            size: i64::try_from(size).unwrap_or(i64::MAX),
            content_type,
            name: clean_name(name, content_type),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::sniff::tests::docx;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR secret pixels";

    #[test]
    fn default_settings_allow_10_mib_per_file_and_25_mib_in_10_files_per_case() {
        let settings: FileSettings = toml::from_str("").expect("empty settings parse");
        assert_eq!(settings, FileSettings::default());
        assert_eq!(settings.limits(), FileLimits::default());
        assert_eq!(settings.max_file_bytes, 10 * MIB);
        assert_eq!(settings.max_case_bytes, 25 * MIB);
        assert_eq!(settings.max_case_files, 10);

        let custom: FileSettings =
            toml::from_str("dir = \"/srv/hdnd/files\"\nmax_case_files = 3").expect("parses");
        assert_eq!(custom.max_case_files, 3);
        assert_eq!(custom.dir, PathBuf::from("/srv/hdnd/files"));
    }

    #[test]
    fn an_accepted_file_carries_its_hash_size_sniffed_type_and_clean_name() {
        // Arrange
        let policy = FilePolicy::default();

        // Act
        let accepted = policy
            .accept("C:\\scan\\photo.pdf", PNG, CaseUsage::default())
            .expect("a PNG is accepted");

        // Assert
        assert_eq!(accepted.hash, FileHash::of(PNG));
        assert_eq!(accepted.size, i64::try_from(PNG.len()).expect("small"));
        assert_eq!(accepted.content_type, SniffedType::Png);
        assert_eq!(accepted.name, "photo.png");
        assert!(!format!("{accepted:?}").contains("secret pixels"));

        let attachment = Attachment::from(accepted);
        assert_eq!(attachment.content_type, "image/png");
    }

    #[test]
    fn a_renamed_executable_is_refused_by_its_bytes() {
        let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0";
        let error = FilePolicy::default()
            .accept("report.pdf", elf, CaseUsage::default())
            .expect_err("an ELF is refused");
        assert!(matches!(
            error,
            FileError::TypeNotAllowed {
                detected: Some(crate::files::RefusedKind::Executable)
            }
        ));
    }

    #[test]
    fn files_admitted_together_count_against_the_case_one_after_another() {
        // Arrange
        let policy = FilePolicy::new(FileLimits {
            max_file_bytes: 100,
            max_case_bytes: 150,
            max_case_files: 3,
        });
        let on_case = CaseUsage {
            files: 1,
            bytes: 40,
        };

        // Act
        let fits = policy.admit(on_case, [50, 60]);
        let over_total = policy.admit(on_case, [50, 61]);
        let too_many = policy.admit(on_case, [1, 1, 1]);

        // Assert
        assert_eq!(
            fits.expect("150 bytes in 3 files fit"),
            CaseUsage {
                files: 3,
                bytes: 150
            }
        );
        assert!(matches!(
            over_total,
            Err(FileError::CaseQuotaExceeded {
                size: 61,
                used: 90,
                limit: 150
            })
        ));
        assert!(matches!(
            too_many,
            Err(FileError::TooManyFiles { limit: 3 })
        ));
    }

    #[test]
    fn limits_are_checked_per_file_per_case_and_by_count() {
        let policy = FilePolicy::new(FileLimits {
            max_file_bytes: 100,
            max_case_bytes: 150,
            max_case_files: 2,
        });
        let big = [b'a'; 101];
        assert!(matches!(
            policy.accept("a.txt", &big, CaseUsage::default()),
            Err(FileError::TooLarge {
                size: 101,
                limit: 100
            })
        ));
        assert!(matches!(
            policy.accept(
                "a.txt",
                &big[..60],
                CaseUsage {
                    files: 1,
                    bytes: 100
                }
            ),
            Err(FileError::CaseQuotaExceeded {
                size: 60,
                used: 100,
                limit: 150
            })
        ));
        assert!(matches!(
            policy.accept("a.txt", b"hi", CaseUsage { files: 2, bytes: 2 }),
            Err(FileError::TooManyFiles { limit: 2 })
        ));
        assert!(matches!(
            policy.accept("a.txt", b"", CaseUsage::default()),
            Err(FileError::Empty)
        ));
        assert!(
            policy
                .accept(
                    "a.txt",
                    &big[..50],
                    CaseUsage {
                        files: 1,
                        bytes: 100
                    }
                )
                .is_ok()
        );
        assert!(
            FilePolicy::default()
                .accept("a.docx", &docx(), CaseUsage::default())
                .is_ok()
        );
    }
}
