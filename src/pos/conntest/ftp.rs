//! The FTP server test: logs in, changes to the target folder and downloads `test.txt`.

use std::time::Duration;

use super::{Failure, Target, Verdict};
use crate::pos::FtpSettings;

pub async fn test(_ftp: &FtpSettings, _timeout: Duration) -> Verdict {
    Verdict::failed(Target::Ftp, Failure::NotConfigured, "not built yet")
}
