//! Moving batch and package files: FTP (list, get, put under a temporary name then rename) or, in
//! copy mode, the FTP server's share folder on this machine (also written under a temporary name).
//!
//! A reader never sees a half-written file: names starting with `.` and ending in `.part` are
//! temporary and ignored by listings.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{Folder, SyncError};

type Ftp = suppaftp::tokio::AsyncRustlsFtpStream;

/// Where a folder's files are.
pub enum Remote {
    Ftp { ftp: Box<Ftp>, address: String },
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

    fn ftp_err(address: &str, what: String) -> impl FnOnce(suppaftp::FtpError) -> SyncError {
        let address = address.to_string();
        move |e| SyncError::Ftp {
            address,
            message: format!("{what}: {e}"),
        }
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
            Remote::Ftp { ftp, address } => match ftp.nlst(sub).await {
                Ok(list) => list
                    .into_iter()
                    .map(|n| n.rsplit('/').next().unwrap_or(&n).to_string())
                    .collect(),
                Err(_) if sub.is_some() => Vec::new(),
                Err(e) => {
                    return Err(Self::ftp_err(address, "listing the target folder".into())(
                        e,
                    ));
                }
            },
        };
        names.retain(|n| !n.starts_with('.'));
        names.sort();
        Ok(names)
    }

    /// Puts a local file as `name`: written as `.name.part`, then renamed. Returns the bytes sent.
    pub async fn put(&mut self, local: &Path, name: &str) -> Result<u64, SyncError> {
        let temp = temp_name(name);
        match self {
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
                let mut file = tokio::fs::File::open(local)
                    .await
                    .map_err(SyncError::io(format!("opening {}", local.display())))?;
                let mut stream = ftp
                    .put_with_stream(&temp)
                    .await
                    .map_err(Self::ftp_err(address, format!("uploading {temp}")))?;
                let bytes = tokio::io::copy(&mut file, &mut stream)
                    .await
                    .map_err(SyncError::io(format!("uploading {temp} to {address}")))?;
                stream
                    .flush()
                    .await
                    .map_err(SyncError::io(format!("uploading {temp}")))?;
                stream.finish().await.map_err(Self::ftp_err(
                    address,
                    format!("finishing the upload of {temp}"),
                ))?;
                let _ = ftp.rm(name).await;
                ftp.rename(temp.as_str(), name)
                    .await
                    .map_err(Self::ftp_err(address, format!("renaming {temp} to {name}")))?;
                Ok(bytes)
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
                let mut stream = ftp
                    .retr_as_stream(name)
                    .await
                    .map_err(Self::ftp_err(address, format!("downloading {name}")))?;
                let mut file = tokio::fs::File::create(&tmp)
                    .await
                    .map_err(SyncError::io(format!("creating {}", tmp.display())))?;
                let mut buf = vec![0u8; 256 * 1024];
                let mut total = 0u64;
                loop {
                    let n = stream
                        .read(&mut buf)
                        .await
                        .map_err(SyncError::io(format!("downloading {name} from {address}")))?;
                    if n == 0 {
                        break;
                    }
                    file.write_all(&buf[..n])
                        .await
                        .map_err(SyncError::io(format!("writing {}", tmp.display())))?;
                    total += n as u64;
                }
                file.flush()
                    .await
                    .map_err(SyncError::io(format!("writing {}", tmp.display())))?;
                stream.finish().await.map_err(Self::ftp_err(
                    address,
                    format!("finishing the download of {name}"),
                ))?;
                total
            }
        };
        tokio::fs::rename(&tmp, local)
            .await
            .map_err(SyncError::io(format!("renaming {}", tmp.display())))?;
        Ok(bytes)
    }

    /// Closes the connection politely.
    pub async fn close(self) {
        if let Remote::Ftp { mut ftp, .. } = self {
            let _ = ftp.quit().await;
        }
    }
}

/// Logs in to the folder's FTP server, in binary mode, in the target folder.
async fn connect(folder: &Folder) -> Result<Ftp, SyncError> {
    let address = folder.ftp_address.trim();
    let err = |message: String| SyncError::Ftp {
        address: address.to_string(),
        message,
    };
    let rest = address
        .strip_prefix("ftp://")
        .ok_or_else(|| err("expected ftp://host[:port]{}target".to_string()))?;
    let (hostport, target) = match rest.split_once("{}") {
        Some((h, t)) => (h.trim_end_matches('/'), t.trim_matches('/')),
        None => (rest.trim_end_matches('/'), ""),
    };
    let hostport = if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:21")
    };
    let mut ftp = Ftp::connect(hostport.as_str())
        .await
        .map_err(|e| err(format!("cannot connect: {e}")))?;
    ftp.login(
        folder.ftp_user.as_str(),
        folder.ftp_password.as_deref().unwrap_or(""),
    )
    .await
    .map_err(|e| err(format!("login as {} failed: {e}", folder.ftp_user)))?;
    ftp.transfer_type(suppaftp::types::FileType::Binary)
        .await
        .map_err(|e| err(format!("binary mode refused: {e}")))?;
    if !target.is_empty() {
        ftp.cwd(target)
            .await
            .map_err(|e| err(format!("target folder {target} is missing: {e}")))?;
    }
    Ok(ftp)
}
