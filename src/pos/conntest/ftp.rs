//! The FTP server test, as the seed describes it: log in, change to the target folder and
//! download `test.txt`, which must have been created there by hand. In copy mode, the share
//! folder must also exist and be writable.

use std::path::Path;
use std::time::Duration;

use super::{Failure, Target, Verdict};
use crate::net::ftp::FtpError;
use crate::pos::{FtpMode, FtpSettings};

/// The file the test downloads from the target folder.
pub const TEST_FILE: &str = "test.txt";

/// Runs the FTP server test.
pub async fn test(ftp: &FtpSettings, timeout: Duration) -> Verdict {
    let Some(address) = &ftp.address else {
        return Verdict::failed(
            Target::Ftp,
            Failure::NotConfigured,
            "the FTP server tab has no address: set ftp://host[:port]{}target (--ftp-address)",
        );
    };
    let remote = remote(ftp, address, timeout).await;
    if ftp.mode != FtpMode::Copy {
        return remote;
    }
    let share = check_share(Path::new(&ftp.share)).await;
    match (remote.ok, share) {
        (_, Ok(())) => {
            let mut v = remote;
            if v.ok {
                v.message = format!("{}; share folder {} is writable", v.message, ftp.share);
            }
            v
        }
        (true, Err((failure, why))) => Verdict::failed(
            Target::Ftp,
            failure,
            format!("the FTP server answers and has {TEST_FILE}, but {why}"),
        ),
        (false, Err((_, why))) => {
            let mut v = remote;
            v.message = format!("{}; also, {why}", v.message);
            v
        }
    }
}

async fn remote(ftp: &FtpSettings, address: &crate::pos::FtpAddress, timeout: Duration) -> Verdict {
    let mut session = match ftp.connect(timeout).await {
        Ok(s) => s,
        Err(e) => return failed(e, address),
    };
    let where_ = session.path_of(TEST_FILE);
    let result = session.get(TEST_FILE).await;
    if matches!(result, Err(FtpError::Timeout { .. })) {
        // A server that hangs would hang on QUIT too: the connection is dropped instead.
        drop(session);
    } else {
        session.quit().await;
    }
    match result {
        Ok(bytes) => {
            let tls = if address.tls {
                " with explicit TLS"
            } else {
                ""
            };
            Verdict::ok(
                Target::Ftp,
                format!(
                    "logged in as {} on {}{tls}, downloaded {where_} ({} bytes)",
                    ftp.user,
                    address.authority(),
                    bytes.len()
                ),
                Some(format!("{where_}: {} bytes", bytes.len())),
            )
        }
        Err(FtpError::FileMissing { reply, .. }) => Verdict::failed(
            Target::Ftp,
            Failure::TestFileMissing,
            format!(
                "{TEST_FILE} is missing: looked for {where_} on {}; create it by hand in that folder (any content), then test again (login and target folder are fine; the server said {reply})",
                address.authority()
            ),
        ),
        Err(e) => failed(e, address),
    }
}

fn failed(e: FtpError, address: &crate::pos::FtpAddress) -> Verdict {
    let (failure, advice) = match &e {
        FtpError::UnknownHost { .. } => (Failure::UnknownHost, "check the host in the address"),
        FtpError::Refused { .. } => (
            Failure::Refused,
            "check the port in the address and that the FTP server runs",
        ),
        FtpError::Timeout { .. } => (
            Failure::Timeout,
            "check the address, and that a firewall lets the control and passive ports through",
        ),
        FtpError::Tls { .. } => (
            Failure::Tls,
            "check that the server offers explicit TLS (AUTH TLS) with a certificate this machine trusts, or use ftp://",
        ),
        FtpError::LoginFailed { .. } => (Failure::AuthFailed, "check the user and password"),
        FtpError::FolderMissing { .. } => (
            Failure::TargetMissing,
            "create the folder on the server, or fix the target after {} in the address",
        ),
        FtpError::NotConfigured(_) => (Failure::NotConfigured, "fill in the FTP server tab"),
        FtpError::FileMissing { .. } | FtpError::Reply { .. } | FtpError::Connection { .. } => {
            (Failure::Protocol, "see the FTP server's log")
        }
    };
    let target = match (&e, &address.target) {
        (FtpError::FolderMissing { .. }, Some(t)) => format!(" (target after {{}}: {t})"),
        _ => String::new(),
    };
    Verdict::failed(Target::Ftp, failure, format!("{e}{target}: {advice}"))
}

/// Checks that the share folder exists and takes a new file (written, then removed).
async fn check_share(share: &Path) -> Result<(), (Failure, String)> {
    if share.as_os_str().is_empty() {
        return Err((
            Failure::NotConfigured,
            "copy mode needs a share folder (--ftp-share)".to_string(),
        ));
    }
    let share = share.to_path_buf();
    let check = tokio::task::spawn_blocking(move || {
        let meta = std::fs::metadata(&share).map_err(|e| {
            (
                Failure::ShareMissing,
                format!(
                    "the share folder {} does not exist or cannot be reached ({e})",
                    share.display()
                ),
            )
        })?;
        if !meta.is_dir() {
            return Err((
                Failure::ShareMissing,
                format!("the share folder {} is not a folder", share.display()),
            ));
        }
        let probe = share.join(format!(".backroom-write-test-{}", uuid::Uuid::new_v4()));
        std::fs::write(&probe, b"backroom write test\n").map_err(|e| {
            (
                Failure::ShareNotWritable,
                format!(
                    "cannot write into the share folder {} ({e}) as {}",
                    share.display(),
                    crate::config::current_user()
                ),
            )
        })?;
        let _ = std::fs::remove_file(&probe);
        Ok(())
    })
    .await;
    match check {
        Ok(r) => r,
        Err(e) => Err((Failure::Protocol, format!("the share check stopped: {e}"))),
    }
}
