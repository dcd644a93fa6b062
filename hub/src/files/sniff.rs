//! The type of a file, read from its bytes: never from the name or the type the sender claims.
//!
//! A small table of magic bytes, a walk of a zip's central directory for the office formats, and
//! a check for plain UTF-8 text. Every read is bounds-checked: hostile input yields a refusal,
//! never a panic.

use std::fmt;

use super::error::FileError;
use crate::domain::Language;

/// An allowed file type, as sniffed from the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SniffedType {
    Jpeg,
    Png,
    Gif,
    Webp,
    /// HEIF holding HEVC-coded images, as iPhones take them.
    Heic,
    /// HEIF of another brand set (not AVIF).
    Heif,
    Pdf,
    /// Word (OOXML).
    Docx,
    /// Excel (OOXML).
    Xlsx,
    /// OpenDocument text.
    Odt,
    /// UTF-8 plain text.
    Text,
}

impl SniffedType {
    /// Every allowed type.
    pub const ALL: &'static [SniffedType] = &[
        Self::Jpeg,
        Self::Png,
        Self::Gif,
        Self::Webp,
        Self::Heic,
        Self::Heif,
        Self::Pdf,
        Self::Docx,
        Self::Xlsx,
        Self::Odt,
        Self::Text,
    ];

    /// The media type, as stored in the `files` table and sent in `Content-Type`.
    pub const fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
            Self::Heic => "image/heic",
            Self::Heif => "image/heif",
            Self::Pdf => "application/pdf",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Odt => "application/vnd.oasis.opendocument.text",
            Self::Text => "text/plain; charset=utf-8",
        }
    }

    /// The canonical file-name extension, without the dot.
    pub const fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Gif => "gif",
            Self::Webp => "webp",
            Self::Heic => "heic",
            Self::Heif => "heif",
            Self::Pdf => "pdf",
            Self::Docx => "docx",
            Self::Xlsx => "xlsx",
            Self::Odt => "odt",
            Self::Text => "txt",
        }
    }

    /// Extensions a sender's name may keep for this type (lower case); others are replaced by
    /// [`SniffedType::extension`].
    pub const fn accepted_extensions(self) -> &'static [&'static str] {
        match self {
            Self::Jpeg => &["jpg", "jpeg"],
            Self::Heic | Self::Heif => &["heic", "heif"],
            Self::Text => &["txt", "csv", "log"],
            Self::Png => &["png"],
            Self::Gif => &["gif"],
            Self::Webp => &["webp"],
            Self::Pdf => &["pdf"],
            Self::Docx => &["docx"],
            Self::Xlsx => &["xlsx"],
            Self::Odt => &["odt"],
        }
    }

    /// The type whose [`SniffedType::mime`] this is, for reading a stored row back.
    pub fn from_mime(mime: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.mime() == mime)
    }

    /// What a person is told is accepted.
    pub fn allowed_list(lang: Language) -> &'static str {
        match lang {
            Language::Vi => {
                "ảnh (JPEG, PNG, GIF, WebP, HEIC), PDF, Word (DOCX), Excel (XLSX), ODT, văn bản thuần (TXT)"
            }
            Language::En => {
                "images (JPEG, PNG, GIF, WebP, HEIC), PDF, Word (DOCX), Excel (XLSX), ODT, plain text (TXT)"
            }
        }
    }
}

impl fmt::Display for SniffedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}

/// What a refused file was recognised as, so the sender can be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefusedKind {
    /// A native program: ELF, Windows PE (`MZ`), Mach-O, WebAssembly.
    Executable,
    /// A script with a `#!` line.
    Script,
    /// A zip (not DOCX, XLSX or ODT), RAR, 7z or gzip archive.
    Archive,
    /// An office document carrying macros.
    MacroDocument,
    /// A Word or Excel 97–2003 file (OLE compound file), which may carry macros.
    LegacyOffice,
}

impl RefusedKind {
    /// A few words naming it, in the reader's language.
    pub const fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (Self::Executable, Language::Vi) => "chương trình chạy được",
            (Self::Executable, Language::En) => "a program",
            (Self::Script, Language::Vi) => "tệp lệnh",
            (Self::Script, Language::En) => "a script",
            (Self::Archive, Language::Vi) => "tệp nén",
            (Self::Archive, Language::En) => "an archive",
            (Self::MacroDocument, Language::Vi) => "tài liệu có macro",
            (Self::MacroDocument, Language::En) => "a document with macros",
            (Self::LegacyOffice, Language::Vi) => {
                "Word/Excel 97–2003; xin lưu lại dạng DOCX, XLSX hoặc PDF"
            }
            (Self::LegacyOffice, Language::En) => {
                "Word/Excel 97–2003; please save it as DOCX, XLSX or PDF"
            }
        }
    }
}

/// Reads the type of a file from its bytes; [`FileError::Empty`] or
/// [`FileError::TypeNotAllowed`] when it is not one of the allowed types.
pub fn sniff(bytes: &[u8]) -> Result<SniffedType, FileError> {
    let refuse = |kind| Err(FileError::TypeNotAllowed { detected: kind });
    if bytes.is_empty() {
        return Err(FileError::Empty);
    }
    // Programs and scripts first: whatever else the bytes might pass for, they are refused.
    if let Some(kind) = refused_magic(bytes) {
        return refuse(Some(kind));
    }
    if let Some(found) = image_or_pdf(bytes) {
        return Ok(found);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return zip::sniff(bytes).map_err(|kind| FileError::TypeNotAllowed {
            detected: Some(kind),
        });
    }
    if is_plain_text(bytes) {
        return Ok(SniffedType::Text);
    }
    refuse(None)
}

fn refused_magic(b: &[u8]) -> Option<RefusedKind> {
    const EXECUTABLE: &[&[u8]] = &[
        b"\x7fELF",
        b"MZ",
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        // Mach-O universal binary, and Java class files, which share it.
        b"\xca\xfe\xba\xbe",
        b"\0asm",
    ];
    const ARCHIVE: &[&[u8]] = &[
        b"Rar!\x1a\x07",
        b"7z\xbc\xaf\x27\x1c",
        b"\x1f\x8b",
        // An empty zip, or a spanned one.
        b"PK\x05\x06",
        b"PK\x07\x08",
    ];
    if EXECUTABLE.iter().any(|m| b.starts_with(m)) {
        Some(RefusedKind::Executable)
    } else if b.starts_with(b"#!") {
        Some(RefusedKind::Script)
    } else if ARCHIVE.iter().any(|m| b.starts_with(m)) {
        Some(RefusedKind::Archive)
    } else if b.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        Some(RefusedKind::LegacyOffice)
    } else {
        None
    }
}

fn image_or_pdf(b: &[u8]) -> Option<SniffedType> {
    if b.starts_with(b"\xff\xd8\xff") {
        Some(SniffedType::Jpeg)
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(SniffedType::Png)
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Some(SniffedType::Gif)
    } else if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        Some(SniffedType::Webp)
    } else if b.starts_with(b"%PDF-") {
        Some(SniffedType::Pdf)
    } else {
        heif(b)
    }
}

/// An ISO-BMFF `ftyp` box whose brands say HEIF image (and not AVIF, video or anything else).
fn heif(b: &[u8]) -> Option<SniffedType> {
    if b.get(4..8)? != b"ftyp" {
        return None;
    }
    let size = usize::try_from(u32::from_be_bytes(b.get(0..4)?.try_into().ok()?)).ok()?;
    // Major brand, minor version, then compatible brands, four bytes each.
    if !(16..=4096).contains(&size) || size % 4 != 0 {
        return None;
    }
    let major = b.get(8..12)?;
    let compatible = b.get(16..size)?.chunks_exact(4);
    let brands: Vec<&[u8]> = std::iter::once(major).chain(compatible).collect();
    let has = |names: &[&[u8]]| brands.iter().any(|brand| names.contains(brand));
    if has(&[b"avif", b"avis"]) {
        None
    } else if has(&[b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"]) {
        Some(SniffedType::Heic)
    } else if has(&[b"mif1", b"msf1"]) {
        Some(SniffedType::Heif)
    } else {
        None
    }
}

/// Valid UTF-8 (a byte-order mark is allowed) with no control characters but tab, line feed,
/// carriage return and form feed.
fn is_plain_text(b: &[u8]) -> bool {
    let b = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b);
    match std::str::from_utf8(b) {
        Ok(text) => text
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c')),
        Err(_) => false,
    }
}

/// Zip-based office formats, told apart by the entries of the central directory.
///
/// The central directory is what office suites read, and unlike the local headers it always
/// carries sizes (a local header followed by a data descriptor may say 0), so the entries are
/// listed from it. ODT is recognised by its first local entry, as the OpenDocument spec places
/// it: `mimetype`, stored uncompressed, holding the media type.
mod zip {
    use super::{RefusedKind, SniffedType};

    const EOCD: &[u8] = b"PK\x05\x06";
    const CENTRAL: &[u8] = b"PK\x01\x02";
    const LOCAL: &[u8] = b"PK\x03\x04";
    const ODT_MIME: &[u8] = b"application/vnd.oasis.opendocument.text";

    pub(super) fn sniff(b: &[u8]) -> Result<SniffedType, RefusedKind> {
        let names = central_directory_names(b).ok_or(RefusedKind::Archive)?;
        let any = |f: &dyn Fn(&[u8]) -> bool| names.iter().any(|n| f(n));
        if odt_first_entry(b) {
            if any(&|n| n.starts_with(b"Basic/") || n.starts_with(b"Scripts/")) {
                return Err(RefusedKind::MacroDocument);
            }
            return Ok(SniffedType::Odt);
        }
        if !any(&|n| n == b"[Content_Types].xml") {
            return Err(RefusedKind::Archive);
        }
        if any(&|n| n.to_ascii_lowercase().ends_with(b"vbaproject.bin")) {
            return Err(RefusedKind::MacroDocument);
        }
        match (
            any(&|n| n.starts_with(b"word/")),
            any(&|n| n.starts_with(b"xl/")),
        ) {
            (true, false) => Ok(SniffedType::Docx),
            (false, true) => Ok(SniffedType::Xlsx),
            _ => Err(RefusedKind::Archive),
        }
    }

    fn u16_at(b: &[u8], at: usize) -> Option<usize> {
        let bytes = b.get(at..at.checked_add(2)?)?;
        Some(usize::from(u16::from_le_bytes([bytes[0], bytes[1]])))
    }

    fn u32_at(b: &[u8], at: usize) -> Option<usize> {
        let bytes: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        usize::try_from(u32::from_le_bytes(bytes)).ok()
    }

    /// The names of the central directory's entries, or `None` if it is missing or malformed.
    fn central_directory_names(b: &[u8]) -> Option<Vec<&[u8]>> {
        // The end record is 22 bytes plus a comment of up to 65 535, at the very end.
        let last = b.len().checked_sub(22)?;
        let first = last.saturating_sub(65_535);
        let eocd = (first..=last).rev().find(|&at| b[at..].starts_with(EOCD))?;
        let count = u16_at(b, eocd + 10)?;
        let size = u32_at(b, eocd + 12)?;
        let start = u32_at(b, eocd + 16)?;
        // The directory lies wholly before the end record (this also refuses ZIP64 markers).
        let end = start.checked_add(size)?;
        if end > eocd {
            return None;
        }
        let directory = b.get(start..end)?;
        let mut names = Vec::with_capacity(count);
        let mut at = 0;
        for _ in 0..count {
            if !directory.get(at..)?.starts_with(CENTRAL) {
                return None;
            }
            let name_len = u16_at(directory, at + 28)?;
            let extra_len = u16_at(directory, at + 30)?;
            let comment_len = u16_at(directory, at + 32)?;
            let name_start = at.checked_add(46)?;
            names.push(directory.get(name_start..name_start.checked_add(name_len)?)?);
            at = name_start
                .checked_add(name_len)?
                .checked_add(extra_len)?
                .checked_add(comment_len)?;
        }
        Some(names)
    }

    fn odt_first_entry(b: &[u8]) -> bool {
        let check = || -> Option<bool> {
            if !b.starts_with(LOCAL) {
                return Some(false);
            }
            let method = u16_at(b, 8)?;
            let size = u32_at(b, 18)?;
            let name_len = u16_at(b, 26)?;
            let extra_len = u16_at(b, 28)?;
            let name = b.get(30..30 + name_len)?;
            let data_start = 30 + name_len + extra_len;
            let data = b.get(data_start..data_start.checked_add(size)?)?;
            Some(method == 0 && name == b"mimetype" && data == ODT_MIME)
        };
        check().unwrap_or(false)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal zip of stored (uncompressed) entries, with local headers, a central directory
    /// and its end record. CRCs are left at zero: sniffing does not read them.
    pub(crate) fn zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
        fn u16le(v: usize) -> [u8; 2] {
            u16::try_from(v).expect("fits").to_le_bytes()
        }
        fn u32le(v: usize) -> [u8; 4] {
            u32::try_from(v).expect("fits").to_le_bytes()
        }
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in entries {
            let offset = out.len();
            out.extend_from_slice(b"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0");
            out.extend_from_slice(&u32le(data.len()));
            out.extend_from_slice(&u32le(data.len()));
            out.extend_from_slice(&u16le(name.len()));
            out.extend_from_slice(&u16le(0));
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);

            central.extend_from_slice(b"PK\x01\x02\x14\0\x14\0\0\0\0\0\0\0\0\0\0\0\0\0");
            central.extend_from_slice(&u32le(data.len()));
            central.extend_from_slice(&u32le(data.len()));
            central.extend_from_slice(&u16le(name.len()));
            central.extend_from_slice(&[0; 12]);
            central.extend_from_slice(&u32le(offset));
            central.extend_from_slice(name.as_bytes());
        }
        let start = out.len();
        out.extend_from_slice(&central);
        out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        out.extend_from_slice(&u16le(entries.len()));
        out.extend_from_slice(&u16le(entries.len()));
        out.extend_from_slice(&u32le(central.len()));
        out.extend_from_slice(&u32le(start));
        out.extend_from_slice(&u16le(0));
        out
    }

    pub(crate) fn docx() -> Vec<u8> {
        zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("_rels/.rels", b"<Relationships/>"),
            ("word/document.xml", b"<w:document/>"),
        ])
    }

    fn detected(bytes: &[u8]) -> Option<RefusedKind> {
        match sniff(bytes) {
            Err(FileError::TypeNotAllowed { detected }) => detected,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn each_allowed_image_and_pdf_is_recognised_by_its_magic_bytes() {
        let mut heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
        heic.extend_from_slice(&[0; 16]);
        let mut heif = b"\0\0\0\x14ftypmif1\0\0\0\0mif1".to_vec();
        heif.extend_from_slice(&[0; 16]);
        let cases: [(&[u8], SniffedType); 8] = [
            (b"\xff\xd8\xff\xe0\0\x10JFIF\0", SniffedType::Jpeg),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", SniffedType::Png),
            (b"GIF89a\x01\0\x01\0", SniffedType::Gif),
            (b"RIFF\x24\0\0\0WEBPVP8 ", SniffedType::Webp),
            (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", SniffedType::Pdf),
            (&heic, SniffedType::Heic),
            (&heif, SniffedType::Heif),
            (b"GIF87a", SniffedType::Gif),
        ];
        for (bytes, expected) in cases {
            assert_eq!(sniff(bytes).ok(), Some(expected), "{expected:?}");
        }
    }

    #[test]
    fn avif_and_mp4_are_not_taken_for_heif() {
        let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf";
        let mp4 = b"\0\0\0\x18ftypisom\0\0\0\0isomiso2";
        assert_eq!(detected(avif), None);
        assert_eq!(detected(mp4), None);
    }

    #[test]
    fn office_documents_are_told_apart_by_their_zip_entries() {
        let xlsx = zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.xml", b"<workbook/>"),
        ]);
        let odt = zip(&[
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("content.xml", b"<office:document-content/>"),
        ]);
        assert_eq!(sniff(&docx()).ok(), Some(SniffedType::Docx));
        assert_eq!(sniff(&xlsx).ok(), Some(SniffedType::Xlsx));
        assert_eq!(sniff(&odt).ok(), Some(SniffedType::Odt));
    }

    #[test]
    fn a_zip_that_is_not_docx_xlsx_or_odt_is_refused_as_an_archive() {
        let plain = zip(&[("readme.txt", b"hi"), ("setup.exe", b"MZ")]);
        let spreadsheet_template = zip(&[(
            "mimetype",
            b"application/vnd.oasis.opendocument.text-template",
        )]);
        let both = zip(&[
            ("[Content_Types].xml", b""),
            ("word/document.xml", b""),
            ("xl/workbook.xml", b""),
        ]);
        let no_content_types = zip(&[("word/document.xml", b"")]);
        for bytes in [plain, spreadsheet_template, both, no_content_types] {
            assert_eq!(detected(&bytes), Some(RefusedKind::Archive));
        }
    }

    #[test]
    fn office_documents_with_macros_are_refused() {
        let docm = zip(&[
            ("[Content_Types].xml", b""),
            ("word/document.xml", b""),
            ("word/vbaProject.bin", b"\xd0\xcf"),
        ]);
        let odt = zip(&[
            ("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("Basic/Standard/Module1.xml", b""),
        ]);
        assert_eq!(detected(&docm), Some(RefusedKind::MacroDocument));
        assert_eq!(detected(&odt), Some(RefusedKind::MacroDocument));
    }

    #[test]
    fn programs_and_scripts_are_refused_by_their_bytes() {
        assert_eq!(
            detected(b"\x7fELF\x02\x01\x01\0"),
            Some(RefusedKind::Executable)
        );
        assert_eq!(
            detected(b"MZ\x90\0\x03\0\0\0"),
            Some(RefusedKind::Executable)
        );
        assert_eq!(
            detected(b"\xcf\xfa\xed\xfe\x07\0"),
            Some(RefusedKind::Executable)
        );
        assert_eq!(
            detected(b"#!/bin/sh\nrm -rf /\n"),
            Some(RefusedKind::Script)
        );
        assert_eq!(detected(b"\x1f\x8b\x08\0"), Some(RefusedKind::Archive));
        assert_eq!(
            detected(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0"),
            Some(RefusedKind::LegacyOffice)
        );
    }

    #[test]
    fn plain_text_is_utf8_without_control_characters() {
        let letter = "Kính gửi HĐND,\r\n\tđơn kiến nghị.\x0c\n".as_bytes();
        assert_eq!(sniff(letter).ok(), Some(SniffedType::Text));
        assert_eq!(
            sniff(b"\xef\xbb\xbfBOM first").ok(),
            Some(SniffedType::Text)
        );
        assert_eq!(detected(b"text with a \0 NUL"), None);
        assert_eq!(detected(b"escape \x1b[31m red"), None);
        assert_eq!(detected(b"latin-1 \xe9t\xe9"), None);
        assert_eq!(detected("C1 \u{85} control".as_bytes()), None);
    }

    #[test]
    fn hostile_and_truncated_input_is_refused_without_panicking() {
        assert!(matches!(sniff(b""), Err(FileError::Empty)));
        let whole = docx();
        // Every prefix of a valid zip, and every byte of its tail flipped, must just be refused.
        for len in 1..whole.len() {
            let _ = sniff(&whole[..len]);
        }
        for at in whole.len().saturating_sub(120)..whole.len() {
            let mut bent = whole.clone();
            bent[at] = 0xff;
            let _ = sniff(&bent);
        }
        assert_eq!(detected(b"PK\x03\x04"), Some(RefusedKind::Archive));
        assert_eq!(detected(b"PK\x03\x04\xff\xff\xff\xffPK\x05\x06\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), Some(RefusedKind::Archive));
        assert!(sniff(b"\0\0\0\x08ftyp").is_err());
        assert!(sniff(b"\xff\xff\xff\xffftypheic").is_err());
        assert!(sniff(b"RIFF\0\0\0\0WEB").is_err());
    }

    #[test]
    fn random_bytes_behind_zip_and_ftyp_headers_never_panic() {
        // A fixed xorshift, so a failure reproduces.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..3000 {
            let len = usize::try_from(next() % 200).expect("small");
            let mut bytes: Vec<u8> = (0..len).map(|_| next().to_le_bytes()[0]).collect();
            let head: &[u8] = match round % 3 {
                0 => b"PK\x03\x04",
                1 => b"\0\0\0\x20ftyp",
                _ => b"RIFF",
            };
            bytes.splice(0..0, head.iter().copied());
            if round % 2 == 0 {
                // An end record with random fields, so the directory walk runs on garbage.
                let slack = usize::try_from(next() % 8).expect("small");
                let at = bytes.len().saturating_sub(22 + slack);
                bytes.splice(at..at, b"PK\x05\x06".iter().copied());
            }
            let _ = sniff(&bytes);
        }
    }

    #[test]
    fn a_stored_media_type_reads_back_as_its_type() {
        for &t in SniffedType::ALL {
            assert_eq!(SniffedType::from_mime(t.mime()), Some(t));
            assert!(t.accepted_extensions().contains(&t.extension()));
        }
    }
}
