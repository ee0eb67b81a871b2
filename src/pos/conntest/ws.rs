//! The web service test: GET the URL's `/health`.

use std::time::Duration;

use super::{Failure, Target, Verdict};
use crate::pos::TillSettings;

pub async fn test(_till: &TillSettings, _timeout: Duration) -> Verdict {
    Verdict::failed(Target::Ws, Failure::NotConfigured, "not built yet")
}
