//! [`FsBlobStore`]: the file store on a local data folder.
//!
//! Layout: `<root>/ab/cd/<hash>` for a hash starting `abcd`, so no folder holds more than a few
//! hundred objects, and `<root>/tmp/` for writes in progress. A write goes to a temporary file,
//! is fsynced, then renamed into place: an object is either whole or absent. `tmp/` sits under
//! the same root, so the rename never crosses filesystems.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::error::FileError;
use super::{BlobStore, FileHash, StoredBlob};

/// The folder for writes in progress, under the root.
const TMP_DIR: &str = "tmp";
/// Temporary files older than this are left from a crash and removed when the store opens.
/// Writes take milliseconds, so a second hub process on the same folder loses nothing.
const STALE_TEMP_AGE: Duration = Duration::from_secs(60 * 60);

/// Files kept on a local data folder, one per distinct content.
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: Arc<PathBuf>,
}

impl FsBlobStore {
    /// Opens the store at `root`, creating the folder if needed and removing temporary files
    /// left by a crash.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, FileError> {
        let root = Arc::new(root.into());
        let at = Arc::clone(&root);
        blocking(move || {
            fs::create_dir_all(at.join(TMP_DIR))?;
            remove_stale_temp_files(&at.join(TMP_DIR));
            Ok(())
        })
        .await?;
        Ok(Self { root })
    }

    fn shard_dir(root: &Path, hash: &FileHash) -> PathBuf {
        // A FileHash is 64 ASCII hex digits, so these slices are in bounds and on char boundaries.
        let hex = hash.as_str();
        root.join(&hex[0..2]).join(&hex[2..4])
    }

    fn object_path(root: &Path, hash: &FileHash) -> PathBuf {
        Self::shard_dir(root, hash).join(hash.as_str())
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn put(&self, bytes: &[u8]) -> Result<StoredBlob, FileError> {
        let hash = FileHash::of(bytes);
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        let root = Arc::clone(&self.root);
        let key = hash.clone();
        // spawn_blocking needs owned data; the copy is bounded by the file-size limit.
        let bytes = bytes.to_vec();
        let newly_stored = blocking(move || write_object(&root, &key, &bytes)).await?;
        Ok(StoredBlob {
            hash,
            size,
            newly_stored,
        })
    }

    async fn get(&self, hash: &FileHash) -> Result<Vec<u8>, FileError> {
        let path = Self::object_path(&self.root, hash);
        blocking(move || fs::read(path))
            .await
            .map_err(not_found_as_such)
    }

    async fn exists(&self, hash: &FileHash) -> Result<bool, FileError> {
        let path = Self::object_path(&self.root, hash);
        blocking(move || match fs::metadata(path) {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        })
        .await
    }

    async fn delete(&self, hash: &FileHash) -> Result<bool, FileError> {
        let path = Self::object_path(&self.root, hash);
        blocking(move || match fs::remove_file(path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        })
        .await
    }

    async fn list(&self) -> Result<Vec<FileHash>, FileError> {
        let root = Arc::clone(&self.root);
        blocking(move || list_objects(&root)).await
    }
}

/// Runs filesystem work off the async threads.
async fn blocking<T, F>(work: F) -> Result<T, FileError>
where
    T: Send + 'static,
    F: FnOnce() -> io::Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| FileError::Io(io::Error::other(e)))?
        .map_err(FileError::Io)
}

fn not_found_as_such(error: FileError) -> FileError {
    match error {
        FileError::Io(e) if e.kind() == io::ErrorKind::NotFound => FileError::NotFound,
        other => other,
    }
}

/// Writes the object unless an intact copy is there; true if it wrote.
fn write_object(root: &Path, hash: &FileHash, bytes: &[u8]) -> io::Result<bool> {
    let path = FsBlobStore::object_path(root, hash);
    match fs::metadata(&path) {
        // Same hash and same length: the same bytes. A copy of another length can only be
        // damage from outside (writes are atomic), so it is replaced.
        Ok(meta) if meta.is_file() && usize::try_from(meta.len()).ok() == Some(bytes.len()) => {
            return Ok(false);
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let dir = FsBlobStore::shard_dir(root, hash);
    fs::create_dir_all(&dir)?;
    let mut temp = TempFile::create(&root.join(TMP_DIR), hash)?;
    temp.write_and_sync(bytes)?;
    temp.rename_to(&path)?;
    sync_dir(&dir)?;
    Ok(true)
}

/// A temporary file that removes itself unless it was renamed into place.
struct TempFile {
    path: PathBuf,
    file: Option<File>,
}

impl TempFile {
    fn create(dir: &Path, hash: &FileHash) -> io::Result<Self> {
        fs::create_dir_all(dir)?;
        let path = dir.join(format!("{hash}.{:016x}.tmp", rand::random::<u64>()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(Self {
            path,
            file: Some(file),
        })
    }

    fn write_and_sync(&mut self, bytes: &[u8]) -> io::Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("temp file closed"))?;
        file.write_all(bytes)?;
        // The data must be on disk before the rename makes it visible.
        file.sync_all()
    }

    fn rename_to(mut self, target: &Path) -> io::Result<()> {
        // Closed before the rename, which Windows requires.
        drop(self.file.take());
        fs::rename(&self.path, target)?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.path.as_os_str().is_empty() {
            // Best effort: a leftover is removed the next time the store opens.
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Makes a rename in `dir` durable; folders cannot be opened for this on Windows.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn remove_stale_temp_files(tmp: &Path) {
    let Ok(entries) = fs::read_dir(tmp) else {
        return;
    };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|meta| meta.modified())
            .is_ok_and(|modified| {
                now.duration_since(modified).unwrap_or_default() > STALE_TEMP_AGE
            });
        if stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Every well-placed object under `root`; anything else (the `tmp/` folder, stray files) is
/// skipped.
fn list_objects(root: &Path) -> io::Result<Vec<FileHash>> {
    let mut hashes = Vec::new();
    for first in shard_entries(root)? {
        for second in shard_entries(&first.path())? {
            let prefix = format!(
                "{}{}",
                first.file_name().to_string_lossy(),
                second.file_name().to_string_lossy()
            );
            for object in read_dir_if_there(&second.path())? {
                let name = object.file_name();
                let Some(hash) = name.to_str().and_then(|n| FileHash::parse(n).ok()) else {
                    continue;
                };
                if hash.as_str().starts_with(&prefix) && object.file_type()?.is_file() {
                    hashes.push(hash);
                }
            }
        }
    }
    hashes.sort();
    Ok(hashes)
}

/// Sub-folders named by two lower-case hex digits.
fn shard_entries(dir: &Path) -> io::Result<Vec<fs::DirEntry>> {
    let mut shards = Vec::new();
    for entry in read_dir_if_there(dir)? {
        let name = entry.file_name();
        let is_shard = name.to_str().is_some_and(|n| {
            n.len() == 2 && n.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        });
        if is_shard && entry.file_type()?.is_dir() {
            shards.push(entry);
        }
    }
    Ok(shards)
}

/// The entries of a folder; none if it was removed meanwhile.
fn read_dir_if_there(dir: &Path) -> io::Result<Vec<fs::DirEntry>> {
    match fs::read_dir(dir) {
        Ok(entries) => entries.collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use tempfile::TempDir;

    use super::*;
    use crate::domain::Language;
    use crate::files::{CaseUsage, FileLimits, FilePolicy, accept_and_store};

    /// Every file (not folder) under `dir`, relative to it.
    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(next) = pending.pop() {
            for entry in fs::read_dir(&next).expect("readable") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    found.push(path.strip_prefix(dir).expect("under dir").to_path_buf());
                }
            }
        }
        found.sort();
        found
    }

    async fn store() -> (TempDir, FsBlobStore) {
        let dir = TempDir::new().expect("temp dir");
        let store = FsBlobStore::open(dir.path().join("files"))
            .await
            .expect("store opens");
        (dir, store)
    }

    #[tokio::test]
    async fn the_same_bytes_twice_are_stored_once_under_a_sharded_path() {
        // Arrange
        let (dir, store) = store().await;
        let bytes = b"%PDF-1.7 the same letter";

        // Act
        let first = store.put(bytes).await.expect("first put");
        let path = FsBlobStore::object_path(&dir.path().join("files"), &first.hash);
        let written = fs::metadata(&path).expect("object is there");
        let second = store.put(bytes).await.expect("second put");

        // Assert
        assert_eq!(first.hash, second.hash);
        assert!(first.newly_stored);
        assert!(!second.newly_stored);
        let hex = first.hash.as_str();
        assert_eq!(
            files_under(&dir.path().join("files")),
            vec![PathBuf::from(&hex[0..2]).join(&hex[2..4]).join(hex)]
        );
        assert_eq!(
            fs::metadata(&path).expect("still there").modified().ok(),
            written.modified().ok()
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            assert_eq!(
                fs::metadata(&path).expect("still there").ino(),
                written.ino()
            );
        }
        assert_eq!(store.get(&first.hash).await.expect("get"), bytes);
        assert_eq!(store.list().await.expect("list"), vec![first.hash]);
    }

    #[tokio::test]
    async fn get_of_a_missing_hash_is_not_found() {
        let (_dir, store) = store().await;
        let missing = FileHash::of(b"never stored");
        assert!(matches!(
            store.get(&missing).await,
            Err(FileError::NotFound)
        ));
        assert!(!store.exists(&missing).await.expect("exists"));
    }

    #[tokio::test]
    async fn after_delete_the_bytes_no_longer_exist() {
        // Arrange
        let (_dir, store) = store().await;
        let stored = store.put(b"orphan").await.expect("put");
        assert!(store.exists(&stored.hash).await.expect("exists"));

        // Act
        let removed = store.delete(&stored.hash).await.expect("delete");

        // Assert
        assert!(removed);
        assert!(!store.exists(&stored.hash).await.expect("exists"));
        assert!(!store.delete(&stored.hash).await.expect("second delete"));
        assert!(store.list().await.expect("list").is_empty());
    }

    #[tokio::test]
    async fn a_file_over_the_limit_is_refused_and_nothing_half_written_remains() {
        // Arrange
        let (dir, store) = store().await;
        let policy = FilePolicy::new(FileLimits {
            max_file_bytes: 1024,
            ..FileLimits::default()
        });
        let big = vec![b'a'; 1025];

        // Act
        let error = accept_and_store(&store, &policy, "big.txt", &big, CaseUsage::default())
            .await
            .expect_err("over the limit");

        // Assert
        assert!(matches!(
            error,
            FileError::TooLarge {
                size: 1025,
                limit: 1024
            }
        ));
        assert_eq!(
            error.message(Language::Vi),
            "Tệp quá lớn: 1,1 KB; giới hạn 1 KB."
        );
        assert!(files_under(dir.path()).is_empty());
    }

    #[tokio::test]
    async fn a_failed_write_leaves_no_temporary_file_behind() {
        // Arrange: a folder where the object should go makes the rename fail.
        let (dir, store) = store().await;
        let bytes = b"cannot land";
        let root = dir.path().join("files");
        let blocked = FsBlobStore::object_path(&root, &FileHash::of(bytes));
        fs::create_dir_all(blocked.join("occupied")).expect("blocking folder");

        // Act
        let result = store.put(bytes).await;

        // Assert
        assert!(matches!(result, Err(FileError::Io(_))), "{result:?}");
        assert!(files_under(&root.join(TMP_DIR)).is_empty());
        assert!(files_under(&root).is_empty());
    }

    #[tokio::test]
    async fn listing_skips_temporary_and_misplaced_files() {
        // Arrange
        let (dir, store) = store().await;
        let root = dir.path().join("files");
        let stored = store.put(b"kept").await.expect("put");
        let other = FileHash::of(b"misplaced");
        fs::write(root.join(TMP_DIR).join(format!("{other}.1.tmp")), b"x").expect("temp");
        fs::create_dir_all(root.join("00").join("00")).expect("shard");
        fs::write(root.join("00").join("00").join(other.as_str()), b"x").expect("misplaced");
        fs::write(root.join("notes.txt"), b"x").expect("stray");

        // Act
        let listed = store.list().await.expect("list");

        // Assert
        assert_eq!(listed, vec![stored.hash]);
    }
}
