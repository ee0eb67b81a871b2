//! `import_updatecaisse`: update packages published on the FTP server (`updates/manifest.json`,
//! a version and a SHA-256 per package) are downloaded, ALL verified, then installed into
//! `[till] install_dir` in version order, asking as the confirmation mode says:
//! Always (each package), Once (the first), Never (piloted, no question).
//!
//! The manifest is signed like a batch (`backroom sync sign-updates`); a version must match a
//! strict pattern, every install path stays under `install_dir`, and a refused package leaves
//! nothing behind.

use std::cmp::Ordering;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::sign::{self, Domain, Signer, Trust};
use super::transport::Remote;
use super::{Folder, SyncError};
use crate::pos::ConfirmMode;

/// The sub-folder of the FTP target folder that holds packages and their manifest.
pub const DIR: &str = "updates";

/// One package of the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Package {
    pub version: String,
    pub file: String,
    pub sha256: String,
}

/// `updates/manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub packages: Vec<Package>,
}

/// What an update run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Updated {
    pub folder: String,
    pub installed: Vec<String>,
    pub declined: Vec<String>,
    pub already: Vec<String>,
    pub bytes: u64,
    pub install_dir: String,
}

/// Checks a version or file name: letters, digits, dots, dashes (and `_` in file names), starting
/// with a letter or digit, never `..`; `what` names it in the error.
fn plain_name(text: &str, what: &str, underscore: bool) -> Result<(), SyncError> {
    let ok = !text.is_empty()
        && text.len() <= 100
        && text.as_bytes()[0].is_ascii_alphanumeric()
        && !text.contains("..")
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || (underscore && b == b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(SyncError::Rejected(format!(
            "{DIR}/manifest.json on the FTP server: {what} {text:?} is refused: expected letters, digits, dots and dashes{}, \
             starting with a letter or digit, without `..`; nothing was installed",
            if underscore { " (and `_`)" } else { "" }
        )))
    }
}

/// Signs an update manifest in place (a signature line in front of its JSON; an old one is replaced).
pub fn sign_manifest(path: &Path, signer: &Signer) -> Result<(), SyncError> {
    let text = std::fs::read_to_string(path)
        .map_err(SyncError::io(format!("reading {}", path.display())))?;
    let (_, body) = sign::split(&text);
    serde_json::from_str::<Manifest>(body).map_err(|e| {
        SyncError::Rejected(format!(
            "{}: {e} (expected {{\"packages\": [{{\"version\", \"file\", \"sha256\"}}]}})",
            path.display()
        ))
    })?;
    let digest: [u8; 32] = Sha256::digest(body.as_bytes()).into();
    let signed = format!("{}{body}", signer.line(Domain::Updates, &digest));
    std::fs::write(path, signed).map_err(SyncError::io(format!("writing {}", path.display())))
}

/// Compares versions part by part, numbers as numbers (`10.5.10` > `10.5.9`).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<String> { v.split(['.', '-']).map(str::to_string).collect() };
    let (pa, pb) = (parts(a), parts(b));
    for i in 0..pa.len().max(pb.len()) {
        let (x, y) = (
            pa.get(i).map(String::as_str).unwrap_or("0"),
            pb.get(i).map(String::as_str).unwrap_or("0"),
        );
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(m), Ok(n)) => m.cmp(&n),
            _ => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

fn sha256_file(path: &Path) -> Result<String, SyncError> {
    let mut f =
        std::fs::File::open(path).map_err(SyncError::io(format!("opening {}", path.display())))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(SyncError::io(format!("reading {}", path.display())))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// The answer to a question asked to someone elsewhere (the TUI, through the worker).
pub type AskFuture = std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>;

/// Who answers "install package X version V?".
pub enum Answerer<'a> {
    /// Someone at this terminal (the CLI), answering at once.
    Local(&'a mut (dyn FnMut(&Package) -> bool + Send)),
    /// Someone asked elsewhere (the TUI's dialog), whose answer comes later; no answer is "no".
    Remote(Box<dyn Fn(Package) -> AskFuture + Send + Sync>),
}

/// Who answers the confirmation questions: `None` when nobody can (headless).
pub type Confirmer<'a> = Option<Answerer<'a>>;

/// The refusal for a headless run in a mode that asks questions.
pub fn headless_refusal(folder: &str, mode: ConfirmMode) -> SyncError {
    SyncError::Refused(format!(
        "import_updatecaisse of folder {folder} is in confirmation mode {mode} ({}), but nobody can answer here: \
         headless runs need the piloted mode (backroom sync processes set {folder} import_updatecaisse --confirm never), \
         or run `backroom sync run update {folder}` in a terminal to answer",
        mode.describe()
    ))
}

/// Runs one update of `folder` into `install_dir`.
pub async fn run(
    store: &Path,
    folder: &Folder,
    install_dir: &Path,
    mode: ConfirmMode,
    trust: &Trust,
    mut confirm: Confirmer<'_>,
) -> Result<Updated, SyncError> {
    if mode != ConfirmMode::Never && confirm.is_none() {
        return Err(headless_refusal(&folder.code, mode));
    }
    let mut out = Updated {
        folder: folder.code.clone(),
        install_dir: install_dir.display().to_string(),
        ..Updated::default()
    };
    let work = store
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("sync-in")
        .join(&folder.code)
        .join(DIR);
    std::fs::create_dir_all(&work)
        .map_err(SyncError::io(format!("creating {}", work.display())))?;
    let mut remote = Remote::open(folder, false).await?;
    let names = remote.list_in(Some(DIR)).await?;
    if !names.iter().any(|n| n == "manifest.json") {
        remote.close().await;
        return Ok(out);
    }
    let manifest_path = work.join("manifest.json");
    remote
        .get(&format!("{DIR}/manifest.json"), &manifest_path)
        .await?;
    let text = std::fs::read_to_string(&manifest_path).map_err(SyncError::io(format!(
        "reading {}",
        manifest_path.display()
    )));
    let _ = std::fs::remove_file(&manifest_path);
    let text = text?;
    let (signature, body) = sign::split(&text);
    let digest: [u8; 32] = Sha256::digest(body.as_bytes()).into();
    if let Err(m) = trust.check(
        Domain::Updates,
        signature,
        &digest,
        &format!("{DIR}/manifest.json on the FTP server"),
    ) {
        remote.close().await;
        return Err(SyncError::Rejected(format!(
            "{m}; nothing was installed (sign it on the server: backroom sync sign-updates FILE)"
        )));
    }
    let manifest: Manifest = match serde_json::from_str(body) {
        Ok(m) => m,
        Err(e) => {
            remote.close().await;
            return Err(SyncError::Rejected(format!(
                "{DIR}/manifest.json on the FTP server: {e} (expected {{\"packages\": [{{\"version\", \"file\", \"sha256\"}}]}})"
            )));
        }
    };
    for p in &manifest.packages {
        let checked = plain_name(&p.version, "version", false)
            .and_then(|()| plain_name(&p.file, &format!("package {}: file name", p.version), true));
        if let Err(e) = checked {
            remote.close().await;
            return Err(e);
        }
    }
    let installed: Vec<String> = {
        let conn = crate::store::open(store).map_err(|e| SyncError::Config(e.to_string()))?;
        let mut stmt = conn.prepare("SELECT version FROM till_updates WHERE folder = ?1")?;
        stmt.query_map([&folder.code], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    // A version listed twice: the same package once; two different ones refused before anything
    // is downloaded (both went to one path, the second install failed after the first, and the
    // block said nothing was installed).
    let mut listed: Vec<Package> = Vec::new();
    for p in manifest.packages {
        match listed.iter().find(|t| t.version == p.version) {
            Some(twin) if twin.file == p.file && twin.sha256 == p.sha256 => {}
            Some(twin) => {
                let message = format!(
                    "the manifest lists version {} twice, as {} and as {}: nothing was installed",
                    p.version, twin.file, p.file
                );
                remote.close().await;
                return Err(SyncError::Rejected(message));
            }
            None => listed.push(p),
        }
    }
    let mut todo: Vec<Package> = Vec::new();
    for p in listed {
        if installed.contains(&p.version) {
            out.already.push(p.version.clone());
        } else {
            todo.push(p);
        }
    }
    todo.sort_by(|a, b| compare_versions(&a.version, &b.version));
    // Download and verify everything first: one bad package and nothing is installed.
    let mut local = Vec::new();
    let cleanup = |local: &[(Package, PathBuf)]| {
        for (_, path) in local {
            let _ = std::fs::remove_file(path);
        }
    };
    for p in &todo {
        let path = work.join(&p.file);
        let got = remote.get(&format!("{DIR}/{}", p.file), &path).await;
        let bytes = match got {
            Ok(b) => b,
            Err(e) => {
                remote.close().await;
                cleanup(&local);
                return Err(e);
            }
        };
        out.bytes += bytes;
        let sha = sha256_file(&path)?;
        if !sha.eq_ignore_ascii_case(&p.sha256) {
            remote.close().await;
            let _ = std::fs::remove_file(&path);
            cleanup(&local);
            return Err(SyncError::Rejected(format!(
                "package {} ({}) failed its checksum: SHA-256 is {sha}, the manifest says {}; nothing was installed. \
                 Publish the package again on the FTP server",
                p.version, p.file, p.sha256
            )));
        }
        if p.file.to_ascii_lowercase().ends_with(".zip")
            && let Err(e) = checked_zip(p, &path)
        {
            remote.close().await;
            let _ = std::fs::remove_file(&path);
            cleanup(&local);
            return Err(e);
        }
        local.push((p.clone(), path));
    }
    remote.close().await;
    std::fs::create_dir_all(install_dir)
        .map_err(SyncError::io(format!("creating {}", install_dir.display())))?;
    let mut asked = false;
    for (i, (p, path)) in local.iter().enumerate() {
        let ask = match mode {
            ConfirmMode::Always => true,
            ConfirmMode::Once => !asked,
            ConfirmMode::Never => false,
        };
        if ask {
            asked = true;
            let yes = match confirm.as_mut() {
                Some(Answerer::Local(ask)) => ask(p),
                Some(Answerer::Remote(ask)) => ask(p.clone()).await,
                None => false,
            };
            if !yes {
                out.declined
                    .extend(local[i..].iter().map(|(p, _)| p.version.clone()));
                cleanup(&local[i..]);
                break;
            }
        }
        let dest = match install(install_dir, p, path) {
            Ok(d) => d,
            Err(e) => {
                cleanup(&local[i..]);
                return Err(e);
            }
        };
        let conn = crate::store::open(store).map_err(|e| SyncError::Config(e.to_string()))?;
        conn.execute(
            "INSERT INTO till_updates (folder, version, file, sha256, path, installed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![folder.code, p.version, p.file, p.sha256, dest.display().to_string(), crate::store::now()],
        )?;
        let _ = std::fs::remove_file(path);
        out.installed.push(p.version.clone());
    }
    Ok(out)
}

/// Installs one verified package into `install_dir/<version>/` (a ZIP is extracted, any other
/// file copied), through a temporary folder renamed at the end; `current` names the version.
/// Every path stays under `install_dir`; a refused package leaves nothing behind.
fn install(install_dir: &Path, p: &Package, file: &Path) -> Result<PathBuf, SyncError> {
    let dest = install_dir.join(&p.version);
    let tmp = install_dir.join(format!(".{}.part", p.version));
    for path in [&dest, &tmp] {
        if path.parent() != Some(install_dir) {
            return Err(SyncError::Rejected(format!(
                "package {}: {} is not directly under {}",
                p.version,
                path.display(),
                install_dir.display()
            )));
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(SyncError::io(format!("creating {}", tmp.display())))?;
    let filled = fill(&tmp, p, file);
    let _ = std::fs::remove_file(file);
    if let Err(e) = filled {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::rename(&tmp, &dest).map_err(SyncError::io(format!(
        "renaming {} to {}",
        tmp.display(),
        dest.display()
    )))?;
    std::fs::write(install_dir.join("current"), format!("{}\n", p.version)).map_err(
        SyncError::io(format!("writing {}", install_dir.join("current").display())),
    )?;
    Ok(dest)
}

/// Opens a package's ZIP and checks that every entry stays under the folder it is extracted into.
fn checked_zip(p: &Package, file: &Path) -> Result<zip::ZipArchive<std::fs::File>, SyncError> {
    let f =
        std::fs::File::open(file).map_err(SyncError::io(format!("opening {}", file.display())))?;
    let mut zip = zip::ZipArchive::new(f).map_err(|e| {
        SyncError::Rejected(format!("package {} is not a readable ZIP: {e}", p.version))
    })?;
    for i in 0..zip.len() {
        let entry = zip
            .by_index_raw(i)
            .map_err(|e| SyncError::Rejected(format!("package {}: entry {i}: {e}", p.version)))?;
        let raw = entry.name().map(|n| n.to_string()).unwrap_or_default();
        let safe = entry.enclosed_name().is_some_and(|n| {
            n.components()
                .all(|c| matches!(c, std::path::Component::Normal(_)))
        });
        if !safe {
            return Err(SyncError::Rejected(format!(
                "package {}: entry {raw:?} would be written outside the install folder; nothing was installed",
                p.version
            )));
        }
    }
    Ok(zip)
}

/// Writes a package's files into `tmp`: a ZIP's entries (each checked to stay under `tmp`),
/// or the file itself.
fn fill(tmp: &Path, p: &Package, file: &Path) -> Result<(), SyncError> {
    if !p.file.to_ascii_lowercase().ends_with(".zip") {
        std::fs::copy(file, tmp.join(&p.file))
            .map_err(SyncError::io(format!("copying {}", p.file)))?;
        return Ok(());
    }
    let mut zip = checked_zip(p, file)?;
    zip.extract(tmp)
        .map_err(|e| SyncError::Rejected(format!("extracting package {}: {e}", p.version)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert_eq!(compare_versions("10.5.10", "10.5.9"), Ordering::Greater);
        assert_eq!(compare_versions("10.5", "10.5.0"), Ordering::Equal);
        assert_eq!(compare_versions("9.9", "10.0"), Ordering::Less);
    }
}
