//! The integration link (the portal URL) and the generic link with its expiry date and limits:
//! jobs per day, size per job, size per day. Submissions through the generic link are checked here.

use chrono::{Local, NaiveDate, TimeZone};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::error::ContactError;
use crate::config::Config;
use crate::store::settings;

const KEY: &str = "contacts.generic_link";
pub const MB: u64 = 1_000_000;

/// Generic link settings as stored (the token is public: it is the link customers share).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenericLink {
    pub token: String,
    /// Last day the link works (inclusive); `None`: no expiry.
    pub expires_on: Option<NaiveDate>,
    pub jobs_per_day: u32,
    pub max_job_bytes: u64,
    pub max_day_bytes: u64,
    pub regenerated_at: String,
}

impl GenericLink {
    fn fresh() -> GenericLink {
        GenericLink {
            token: super::token::generate(),
            expires_on: None,
            jobs_per_day: 5,
            max_job_bytes: 100 * MB,
            max_day_bytes: 500 * MB,
            regenerated_at: crate::store::now(),
        }
    }

    /// The URL customers without an account submit jobs to.
    pub fn url(&self, config: &Config) -> String {
        format!(
            "{}/g/{}",
            config.portal.base_url.trim_end_matches('/'),
            self.token
        )
    }

    /// Whether the link has expired on `today`.
    pub fn expired_on(&self, today: NaiveDate) -> bool {
        self.expires_on.is_some_and(|last| today > last)
    }
}

/// The e-mail that gives `contact` the generic link and its limits.
pub fn mail(
    config: &Config,
    from: &str,
    contact: &super::Contact,
    link: &GenericLink,
) -> super::mail::Mail {
    let store = &config.store.name;
    let expiry = link
        .expires_on
        .map(|d| format!("It works until {d}.\n"))
        .unwrap_or_default();
    super::mail::Mail {
        from: from.to_string(),
        to_name: contact.name.clone(),
        to: contact.email.clone(),
        subject: format!("Submit print jobs to {store}"),
        body: format!(
            "Hello {},\n\nYou can submit print jobs to {store} without an account through this link:\n\n{}\n\n\
             {expiry}Up to {} jobs per day, {} per job and {} per day.\n",
            contact.name,
            link.url(config),
            link.jobs_per_day,
            human_size(link.max_job_bytes),
            human_size(link.max_day_bytes),
        ),
    }
}

/// The integration link: the customer portal of this print shop (customers log in there).
pub fn integration_url(config: &Config) -> String {
    format!("{}/", config.portal.base_url.trim_end_matches('/'))
}

/// The generic link settings, created with the defaults on first use.
pub fn load(conn: &Connection) -> Result<GenericLink, ContactError> {
    if let Some(text) = settings::get(conn, KEY)? {
        if let Ok(link) = serde_json::from_str::<GenericLink>(&text) {
            return Ok(link);
        }
        tracing::warn!("generic link settings unreadable; recreated with defaults");
    }
    let link = GenericLink::fresh();
    save(conn, &link)?;
    Ok(link)
}

fn save(conn: &Connection, link: &GenericLink) -> Result<(), ContactError> {
    let text = serde_json::to_string(link).map_err(|e| ContactError::BadInput(e.to_string()))?;
    settings::set(conn, KEY, &text)?;
    Ok(())
}

/// A new token: the old generic link stops working at once.
pub fn regenerate(conn: &Connection) -> Result<GenericLink, ContactError> {
    let mut link = load(conn)?;
    link.token = super::token::generate();
    link.regenerated_at = crate::store::now();
    save(conn, &link)?;
    Ok(link)
}

/// Changes to the generic link settings (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// `Some(None)` removes the expiry date.
    pub expires_on: Option<Option<NaiveDate>>,
    pub jobs_per_day: Option<u32>,
    pub max_job_bytes: Option<u64>,
    pub max_day_bytes: Option<u64>,
}

/// Applies and stores the changes; limits must be at least 1 (job or byte).
pub fn set(conn: &Connection, changes: &Changes) -> Result<GenericLink, ContactError> {
    let mut link = load(conn)?;
    if let Some(e) = changes.expires_on {
        link.expires_on = e;
    }
    if let Some(n) = changes.jobs_per_day {
        link.jobs_per_day = n;
    }
    if let Some(n) = changes.max_job_bytes {
        link.max_job_bytes = n;
    }
    if let Some(n) = changes.max_day_bytes {
        link.max_day_bytes = n;
    }
    if link.jobs_per_day == 0 || link.max_job_bytes == 0 || link.max_day_bytes == 0 {
        return Err(ContactError::BadInput(
            "limits must be at least 1 (to stop the link, set an expiry date in the past)".into(),
        ));
    }
    save(conn, &link)?;
    Ok(link)
}

/// A setting the TUI adjusts with + and -.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    JobsPerDay,
    MaxJobSize,
    MaxDaySize,
}

/// One + (steps = 1) or - (steps = -1): 1 job, or 10 MB; never below 1 job / 1 MB.
pub fn adjust(conn: &Connection, limit: Limit, steps: i64) -> Result<GenericLink, ContactError> {
    let link = load(conn)?;
    let bump = |v: u64, step: u64, min: u64| {
        let v = i128::from(v) + i128::from(steps) * i128::from(step);
        u64::try_from(v.max(i128::from(min))).unwrap_or(min)
    };
    let mut changes = Changes::default();
    match limit {
        Limit::JobsPerDay => {
            changes.jobs_per_day =
                Some(u32::try_from(bump(u64::from(link.jobs_per_day), 1, 1)).unwrap_or(u32::MAX))
        }
        Limit::MaxJobSize => changes.max_job_bytes = Some(bump(link.max_job_bytes, 10 * MB, MB)),
        Limit::MaxDaySize => changes.max_day_bytes = Some(bump(link.max_day_bytes, 10 * MB, MB)),
    }
    set(conn, &changes)
}

/// Which limit a generic-link submission hit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitHit {
    #[error("jobs per day: {used} of {limit} jobs were already submitted today {through}")]
    JobsPerDay {
        used: i64,
        limit: u32,
        through: &'static str,
    },
    #[error("size per job: this job is more than the {} allowed per job", human_size(*.limit))]
    JobSize { limit: u64 },
    #[error(
        "size per day: {} already submitted today; this job would pass the {} allowed per day",
        human_size(*.used), human_size(*.limit)
    )]
    DaySize { used: u64, limit: u64 },
}

/// How many bytes a submission may still write, and which limit stops it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub max_bytes: u64,
    pub limit: LimitHit,
}

/// The start of today (local time) as stored text.
pub fn start_of_today() -> String {
    let today = Local::now().date_naive();
    let midnight = today.and_hms_opt(0, 0, 0).unwrap_or_default();
    let start = Local
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(chrono::Utc::now);
    crate::store::to_text(start)
}

/// The limits a submission is checked against: the generic link's (for everyone together) or
/// the integration link's (for each contact, from `[portal]` in config.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub jobs_per_day: u32,
    pub max_job_bytes: u64,
    pub max_day_bytes: u64,
    /// Whose submissions the daily limits count, as refusals name it.
    pub through: &'static str,
}

impl Limits {
    fn generic(link: &GenericLink) -> Limits {
        Limits {
            jobs_per_day: link.jobs_per_day,
            max_job_bytes: link.max_job_bytes,
            max_day_bytes: link.max_day_bytes,
            through: "through the generic link",
        }
    }

    /// The integration link's limits for one contact (never below 1 job, 1 MB).
    pub fn integration(config: &Config) -> Limits {
        let portal = &config.portal;
        Limits {
            jobs_per_day: portal.integration_jobs_per_day.max(1),
            max_job_bytes: portal.integration_max_job_mb.max(1).saturating_mul(MB),
            max_day_bytes: portal.integration_max_day_mb.max(1).saturating_mul(MB),
            through: "by this account",
        }
    }
}

/// Whether `presented` is the link's token, compared as SHA-256 digests (no early exit on the
/// first differing byte).
pub fn same_token(current: &str, presented: &str) -> bool {
    use sha2::{Digest, Sha256};
    Sha256::digest(current.as_bytes()) == Sha256::digest(presented.as_bytes())
}

/// Checks the link before a submission of `declared` bytes (when known); returns the budget
/// the upload must stay within while it streams. `streaming`: the `(jobs, bytes)` other uploads
/// still arriving hold, counted as submitted (see [`crate::contacts::submit::reserve`]).
pub fn check_submission(
    conn: &Connection,
    link: &GenericLink,
    declared: Option<u64>,
    streaming: (i64, i64),
) -> Result<Budget, ContactError> {
    if link.expired_on(Local::now().date_naive()) {
        return Err(ContactError::LinkExpired {
            date: link.expires_on.map(|d| d.to_string()).unwrap_or_default(),
        });
    }
    let usage = crate::store::contacts::usage_since(conn, "generic", &start_of_today())?;
    budget(plus(usage, streaming), &Limits::generic(link), declared)
}

/// Checks a contact's submission through the integration link against `limits` (its own jobs
/// of today, and `streaming` as in [`check_submission`]); returns the budget the upload must
/// stay within.
pub fn check_integration(
    conn: &Connection,
    contact_id: i64,
    limits: &Limits,
    declared: Option<u64>,
    streaming: (i64, i64),
) -> Result<Budget, ContactError> {
    let usage = crate::store::contacts::contact_usage_since(conn, contact_id, &start_of_today())?;
    budget(plus(usage, streaming), limits, declared)
}

fn plus((jobs, bytes): (i64, i64), (more_jobs, more_bytes): (i64, i64)) -> (i64, i64) {
    (jobs + more_jobs, bytes.saturating_add(more_bytes))
}

/// The budget left after today's `(jobs, bytes)`, or the limit already hit.
pub(super) fn budget(
    (jobs, bytes): (i64, i64),
    limits: &Limits,
    declared: Option<u64>,
) -> Result<Budget, ContactError> {
    if jobs >= i64::from(limits.jobs_per_day) {
        return Err(LimitHit::JobsPerDay {
            used: jobs,
            limit: limits.jobs_per_day,
            through: limits.through,
        }
        .into());
    }
    let used = u64::try_from(bytes).unwrap_or(0);
    let day_left = limits.max_day_bytes.saturating_sub(used);
    let job_limit = LimitHit::JobSize {
        limit: limits.max_job_bytes,
    };
    let day_limit = LimitHit::DaySize {
        used,
        limit: limits.max_day_bytes,
    };
    if let Some(size) = declared {
        if size > limits.max_job_bytes {
            return Err(job_limit.into());
        }
        if size > day_left {
            return Err(day_limit.into());
        }
    }
    Ok(if limits.max_job_bytes <= day_left {
        Budget {
            max_bytes: limits.max_job_bytes,
            limit: job_limit,
        }
    } else {
        Budget {
            max_bytes: day_left,
            limit: day_limit,
        }
    })
}

/// `100 MB`, `1.5 GB`, `512 bytes`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GB", 1_000_000_000), ("MB", MB), ("kB", 1_000)];
    for (unit, size) in UNITS {
        if bytes >= size {
            let v = bytes as f64 / size as f64;
            return if (v - v.round()).abs() < 0.05 {
                format!("{} {unit}", v.round())
            } else {
                format!("{v:.1} {unit}")
            };
        }
    }
    format!("{bytes} bytes")
}

/// Parses `100MB`, `1.5 GB`, `500k`, `2MiB` or a byte count.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size (expected e.g. 100MB, 1.5GB, 500kB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => MB,
        "g" | "gb" => 1_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size unit {other:?} in {text:?} (use kB, MB or GB)"
            ));
        }
    };
    let bytes = value * factor as f64;
    if !bytes.is_finite() || bytes < 1.0 {
        return Err(format!("{text:?} is not a positive size"));
    }
    Ok(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("100MB").unwrap(), 100 * MB);
        assert_eq!(parse_size("1.5 GB").unwrap(), 1_500_000_000);
        assert_eq!(parse_size("2MiB").unwrap(), 2 << 20);
        assert!(parse_size("lots").is_err());
        assert_eq!(human_size(100 * MB), "100 MB");
        assert_eq!(human_size(1_500_000_000), "1.5 GB");
    }

    #[test]
    fn defaults_and_adjustments() {
        let conn = crate::store::open_in_memory().unwrap();
        let link = load(&conn).unwrap();
        assert_eq!(
            (link.jobs_per_day, link.max_job_bytes, link.max_day_bytes),
            (5, 100 * MB, 500 * MB)
        );
        assert_eq!(adjust(&conn, Limit::JobsPerDay, 1).unwrap().jobs_per_day, 6);
        assert_eq!(
            adjust(&conn, Limit::MaxJobSize, -20).unwrap().max_job_bytes,
            MB
        );
        let again = regenerate(&conn).unwrap();
        assert_ne!(again.token, link.token);
    }
}
