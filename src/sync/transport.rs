//! Moving batch and package files: FTP (list, get, put under a temporary name then rename) or, in
//! copy mode, the FTP server's share folder on this machine (also written under a temporary name).
//!
//! A reader never sees a half-written file: names starting with `.` and ending in `.part` are
//! temporary and ignored by listings.

use std::path::{Path, PathBuf};

use super::{Folder, SyncError};
use crate::net::ftp::{FtpParams, FtpSession};
use crate::pos::ftp_address::FtpAddress;

/// How long each FTP step may take (a batch of a million rows is about 150 MB).
const FTP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Where a folder's files are.
pub enum Remote {
    Ftp {
        ftp: Box<FtpSession>,
        address: String,
    },
    Share(PathBuf),
}

/// The temporary name a file is written under before it is renamed to `name`.
pub fn temp_name(name: &str) -> String {
    format!(".{name}.part")
}

impl Remote {
    /// Opens the folder's FTP target folder, or its share folder when `copy` is asked (export in copy mode).
    pub async fn open(folder: &Folder, copy: bool) -> Result<Remote, SyncError> {
        if copy {
            let share = PathBuf::from(folder.ftp_share.trim());
            if folder.ftp_share.trim().is_empty() {
                return Err(SyncError::Config(format!(
                    "folder {} is in copy mode but has no share folder (backroom pos folders set {} --ftp-share DIR)",
                    folder.code, folder.code
                )));
            }
            if !share.is_dir() {
                return Err(SyncError::Config(format!(
                    "share folder {} of folder {} does not exist",
                    share.display(),
                    folder.code
                )));
            }
            return Ok(Remote::Share(share));
        }
        let ftp = connect(folder).await?;
        Ok(Remote::Ftp {
            ftp: Box::new(ftp),
            address: folder.ftp_address.clone(),
        })
    }

    /// Names of the files in the target folder (temporary files excluded).
    pub async fn list(&mut self) -> Result<Vec<String>, SyncError> {
        self.list_in(None).await
    }

    /// Names of the files in a sub-folder of the target folder (empty when it does not exist).
    pub async fn list_in(&mut self, sub: Option<&str>) -> Result<Vec<String>, SyncError> {
        let mut names = match self {
            Remote::Share(dir) => {
                let dir = match sub {
                    Some(s) => dir.join(s),
                    None => dir.clone(),
                };
                if !dir.is_dir() {
                    return Ok(Vec::new());
                }
                let mut out = Vec::new();
                let entries = std::fs::read_dir(&dir)
                    .map_err(SyncError::io(format!("listing {}", dir.display())))?;
                for e in entries.flatten() {
                    out.push(e.file_name().to_string_lossy().into_owned());
                }
                out
            }
            Remote::Ftp { ftp, address } => {
                let err = |e: crate::net::ftp::FtpError| SyncError::Ftp {
                    address: address.clone(),
                    message: e.to_string(),
                };
                match sub {
                    None => ftp.list_names().await.map_err(err)?,
                    Some(dir) => {
                        let here = ftp.current_dir().to_string();
                        match ftp.cwd(dir).await {
                            Ok(()) => {
                                let names = ftp.list_names().await.map_err(err);
                                ftp.cwd(&here).await.map_err(err)?;
                                names?
                            }
                            Err(crate::net::ftp::FtpError::FolderMissing { .. }) => Vec::new(),
                            Err(e) => return Err(err(e)),
                        }
                    }
                }
            }
        };
        names.retain(|n| !n.starts_with('.'));
        names.sort();
        Ok(names)
    }

    /// Puts a local file as `name`: written as `.name.part`, then renamed. Returns the bytes sent.
    pub async fn put(&mut self, local: &Path, name: &str) -> Result<u64, SyncError> {
        let temp = temp_name(name);
        match self {
            Remote::Share(dir) if local.parent() == Some(dir.as_path()) => {
                // Built in the share folder under a temporary name: the rename publishes it.
                let bytes = std::fs::metadata(local)
                    .map_err(SyncError::io(format!("reading {}", local.display())))?
                    .len();
                tokio::fs::rename(local, dir.join(name))
                    .await
                    .map_err(SyncError::io(format!(
                        "renaming {} to {name}",
                        local.display()
                    )))?;
                Ok(bytes)
            }
            Remote::Share(dir) => {
                let tmp = dir.join(&temp);
                let bytes = tokio::fs::copy(local, &tmp)
                    .await
                    .map_err(SyncError::io(format!(
                        "copying {} to {}",
                        local.display(),
                        tmp.display()
                    )))?;
                tokio::fs::rename(&tmp, dir.join(name))
                    .await
                    .map_err(SyncError::io(format!(
                        "renaming {} to {name}",
                        tmp.display()
                    )))?;
                Ok(bytes)
            }
            Remote::Ftp { ftp, address } => {
                let err = |e: crate::net::ftp::FtpError| SyncError::Ftp {
                    address: address.clone(),
                    message: e.to_string(),
                };
                // Streamed from the file: a batch of a million rows (about 150 MB) is never
                // held in memory, and a slow line only has to keep it moving.
                let mut file = tokio::fs::File::open(local)
                    .await
                    .map_err(SyncError::io(format!("reading {}", local.display())))?;
                let sent = ftp.put_from(&temp, &mut file).await.map_err(err)?;
                let _ = ftp.delete(name).await;
                ftp.rename(&temp, name).await.map_err(err)?;
                Ok(sent)
            }
        }
    }

    /// Downloads `name` (a path relative to the target folder) into `local`, through a temporary
    /// file next to it. Returns the bytes received.
    pub async fn get(&mut self, name: &str, local: &Path) -> Result<u64, SyncError> {
        let tmp = local.with_extension("download");
        let bytes = match self {
            Remote::Share(dir) => {
                tokio::fs::copy(dir.join(name), &tmp)
                    .await
                    .map_err(SyncError::io(format!(
                        "copying {name} from {}",
                        dir.display()
                    )))?
            }
            Remote::Ftp { ftp, address } => {
                // Streamed into the file, as `put` sends it; a failed download leaves no empty
                // or partial file behind.
                let mut file = tokio::fs::File::create(&tmp)
                    .await
                    .map_err(SyncError::io(format!("writing {}", tmp.display())))?;
                let got = match ftp.get_into(name, &mut file).await {
                    Ok(bytes) => file
                        .sync_all()
                        .await
                        .map(|()| bytes)
                        .map_err(SyncError::io(format!("writing {}", tmp.display()))),
                    Err(e) => Err(SyncError::Ftp {
                        address: address.clone(),
                        message: e.to_string(),
                    }),
                };
                if got.is_err() {
                    let _ = tokio::fs::remove_file(&tmp).await;
                }
                got?
            }
        };
        tokio::fs::rename(&tmp, local)
            .await
            .map_err(SyncError::io(format!("renaming {}", tmp.display())))?;
        Ok(bytes)
    }

    /// Closes the connection politely.
    pub async fn close(self) {
        if let Remote::Ftp { ftp, .. } = self {
            ftp.quit().await;
        }
    }
}

/// Logs in to the folder's FTP server (binary mode, TLS for ftps://) in its target folder.
async fn connect(folder: &Folder) -> Result<FtpSession, SyncError> {
    let text = folder.ftp_address.trim();
    let err = |message: String| SyncError::Ftp {
        address: text.to_string(),
        message,
    };
    // A missing or malformed address is the folder's configuration, not an unreachable peer.
    let address = FtpAddress::parse(text).map_err(|e| {
        SyncError::Config(format!(
            "folder {}: field ftp_address: {e} (fix it: backroom pos folders set {} --ftp-address ftp://host[:port])",
            folder.code, folder.code
        ))
    })?;
    let params = FtpParams {
        host: &address.host,
        port: address.port,
        tls: address.tls,
        user: &folder.ftp_user,
        password: folder.ftp_password.as_deref().unwrap_or(""),
        target: address.target.as_deref(),
        timeout: FTP_TIMEOUT,
    };
    FtpSession::connect(&params).await.map_err(|e| {
        err(format!(
            "{e} (check with backroom pos test-ftp {})",
            folder.code
        ))
    })
}
