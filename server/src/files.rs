//! Files the desk keeps secret (the database, the outbox, the signing keys): owner-only modes set
//! by the desk itself, whatever the process's umask.
//!
//! Directories the desk owns are 0700 and files 0600. A file is created with its mode (never
//! readable by others, not even for an instant); one that already exists (made by an older
//! version, or by hand) is tightened, not trusted. Directories the desk does not own (the parent
//! of a database placed elsewhere) are left as they are.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::io::{Seek as _, SeekFrom, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use anyhow::Context;

/// Mode of a directory only the desk's account may enter.
pub const PRIVATE_DIR_MODE: u32 = 0o700;

/// Mode of a file only the desk's account may read.
pub const PRIVATE_FILE_MODE: u32 = 0o600;

/// Creates `dir` (and its missing parents) with mode 0700, or tightens it to 0700 if it exists.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.exists() {
        DirBuilder::new()
            .recursive(true)
            .mode(PRIVATE_DIR_MODE)
            .create(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    std::fs::set_permissions(dir, Permissions::from_mode(PRIVATE_DIR_MODE))
        .with_context(|| format!("cannot make {} private (mode 0700)", dir.display()))
}

/// Creates the missing parents of `path` with mode 0700, leaving existing ones untouched.
pub fn private_parents(path: &Path) -> anyhow::Result<()> {
    match path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        Some(parent) if !parent.exists() => DirBuilder::new()
            .recursive(true)
            .mode(PRIVATE_DIR_MODE)
            .create(parent)
            .with_context(|| format!("cannot create the directory {}", parent.display())),
        _ => Ok(()),
    }
}

/// Makes sure `path` exists as a file with mode 0600: creates it empty with that mode, or
/// tightens an existing file.
pub fn private_file(path: &Path) -> anyhow::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_FILE_MODE)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => restrict(path),
        Err(error) => Err(error).with_context(|| format!("cannot create {}", path.display())),
    }
}

/// Tightens an existing file to mode 0600; a missing file is not an error.
pub fn restrict(path: &Path) -> anyhow::Result<()> {
    match std::fs::set_permissions(path, Permissions::from_mode(PRIVATE_FILE_MODE)) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error)
            .with_context(|| format!("cannot make {} private (mode 0600)", path.display())),
    }
}

/// Writes a new file with mode 0600 from the first byte (fails if it exists), and syncs it to
/// the disk before returning (for what must survive a power cut: keys).
pub fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = create_new_private(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Writes a new file with mode 0600 from the first byte (fails if it exists), leaving it to the
/// operating system when to write it to disk (for what is cheap to lose: an outbox message).
pub fn write_new_private_unsynced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    create_new_private(path)?.write_all(bytes)
}

fn create_new_private(path: &Path) -> std::io::Result<std::fs::File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_FILE_MODE)
        .open(path)
}

/// Overwrites a file's bytes with zeros, syncs, and removes it; a missing file is not an error.
/// On a copy-on-write or journalling file system the old blocks may survive on disk: this
/// removes the key from the desk's reach and from backups taken afterwards, not from forensics.
pub fn destroy(path: &Path) -> anyhow::Result<()> {
    let mut file = match OpenOptions::new().write(true).open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(error)
                .with_context(|| format!("cannot open {} to destroy it", path.display()));
        }
    };
    let length = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    file.seek(SeekFrom::Start(0))
        .and_then(|_| file.write_all(&vec![0u8; usize::try_from(length).unwrap_or(0)]))
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot overwrite {}", path.display()))?;
    drop(file);
    std::fs::remove_file(path).with_context(|| format!("cannot remove {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn directories_and_files_are_owner_only_and_existing_ones_are_tightened() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        std::fs::set_permissions(&dir, Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);

        let file = dir.join("f");
        private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::set_permissions(&file, Permissions::from_mode(0o644)).unwrap();
        private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);

        let written = dir.join("g");
        write_new_private(&written, b"secret").unwrap();
        assert_eq!(mode(&written), 0o600);
        assert!(write_new_private(&written, b"again").is_err());
    }

    #[test]
    fn a_destroyed_file_is_gone_and_a_missing_one_is_fine() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("key.pem");
        std::fs::write(&file, b"-----BEGIN PRIVATE KEY-----").unwrap();
        destroy(&file).unwrap();
        assert!(!file.exists());
        destroy(&file).unwrap();
        restrict(&file).unwrap();
    }
}
