//! Files that hold a secret or a customer's data (documents, spool files, downloads, backups,
//! logs, portal uploads, activation e-mails): folders 0700 and files 0600, so other local
//! accounts cannot read them, whatever the umask.

use std::fs::{DirBuilder, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of a private file: owner read/write only.
pub const FILE_MODE: u32 = 0o600;
/// Mode of a private folder: owner only.
pub const DIR_MODE: u32 = 0o700;

/// Creates `dir` (and missing parents) owner-only; an existing folder is tightened to 0700.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))
}

/// Creates the missing folders of `dir` owner-only (0700), leaving existing ones as they are
/// (the user's own Downloads folder, a folder the operator chose).
pub fn create_missing_dir(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// Opens `path` for appending (created 0600; an existing file is tightened to 0600).
pub fn open_append(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(FILE_MODE)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// Creates (or truncates) `path` readable and writable by the owner only, whatever the umask;
/// a file that already existed is tightened to 0600 too.
pub fn create_file(path: &Path) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// Writes `bytes` to a new owner-only file at `path`.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = create_file(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folder_and_file_are_owner_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/outbox");
        create_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("m.eml");
        write(&file, b"token").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"token");
    }

    #[test]
    fn existing_loose_folder_and_file_are_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("outbox");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.join("m.eml");
        std::fs::write(&file, b"old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_dir(&dir).unwrap();
        write(&file, b"new").unwrap();
        assert_eq!((mode(&dir), mode(&file)), (0o700, 0o600));
    }
}
