//! A contact, its account state, and its print-shop jobs.

use serde::Serialize;

/// The state of a contact's customer account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactState {
    /// Invited (or imported) but no account yet, or its identities were deleted.
    NotRegistered,
    /// Account created; the customer has not confirmed the activation link yet.
    Inactive,
    /// Account activated: may log in and submit jobs.
    Active,
    /// Account exists but may not log in.
    Deactivated,
}

impl ContactState {
    pub const ALL: [ContactState; 4] = [
        ContactState::NotRegistered,
        ContactState::Inactive,
        ContactState::Active,
        ContactState::Deactivated,
    ];

    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactState::NotRegistered => "not_registered",
            ContactState::Inactive => "inactive",
            ContactState::Active => "active",
            ContactState::Deactivated => "deactivated",
        }
    }

    /// Parses the stored value.
    /// The state stored as `text` (`not_registered`), or shown as it (`not registered`): tables
    /// print the label, and `--state "not registered"` was refused.
    pub fn parse(text: &str) -> Option<ContactState> {
        ContactState::ALL
            .into_iter()
            .find(|s| s.as_str() == text || s.to_string() == text)
    }
}

impl std::fmt::Display for ContactState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ContactState::NotRegistered => "not registered",
            ContactState::Inactive => "inactive",
            ContactState::Active => "active",
            ContactState::Deactivated => "deactivated",
        })
    }
}

/// A print-shop customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub company: Option<String>,
    pub state: ContactState,
    /// An invitation was sent to this address.
    pub invited: bool,
    /// When the customer accepted the current terms of service.
    pub terms_accepted_at: Option<String>,
    pub created_at: String,
}

impl Contact {
    /// The state as the list shows it, with the invitation flag.
    pub fn state_label(&self) -> String {
        if self.invited {
            format!("{} ✉", self.state)
        } else {
            self.state.to_string()
        }
    }
}

/// The state of a print-shop job: `new`, `incoming`, `processing[:sub-state]` or `done`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    New,
    Incoming,
    /// Processing, with an optional sub-state (`preflight`, `imposition`, `printing`, ...).
    Processing(Option<String>),
    Done,
}

impl JobState {
    /// Parses `new`, `incoming`, `processing`, `processing:SUB` or `done`.
    pub fn parse(text: &str) -> Option<JobState> {
        match text {
            "new" => Some(JobState::New),
            "incoming" => Some(JobState::Incoming),
            "processing" => Some(JobState::Processing(None)),
            "done" => Some(JobState::Done),
            other => other
                .strip_prefix("processing:")
                .filter(|sub| !sub.is_empty())
                .map(|sub| JobState::Processing(Some(sub.to_string()))),
        }
    }

    /// Jobs in these states are deleted with their contact; any other state blocks the delete.
    pub fn deletable(&self) -> bool {
        matches!(self, JobState::New | JobState::Incoming | JobState::Done)
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobState::New => f.write_str("new"),
            JobState::Incoming => f.write_str("incoming"),
            JobState::Processing(None) => f.write_str("processing"),
            JobState::Processing(Some(sub)) => write!(f, "processing:{sub}"),
            JobState::Done => f.write_str("done"),
        }
    }
}

/// A print-shop job with its files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShopJob {
    pub id: i64,
    pub contact_id: Option<i64>,
    pub title: String,
    /// As stored: `new`, `incoming`, `processing[:sub]`, `done`.
    pub state: String,
    #[serde(skip)]
    pub input_path: Option<String>,
    pub input_name: Option<String>,
    #[serde(skip)]
    pub pdl_model: Option<String>,
    #[serde(skip)]
    pub support_path: Option<String>,
    pub support_name: Option<String>,
    pub size_bytes: i64,
    /// `integration` or `generic`.
    pub via: String,
    pub submitter: Option<String>,
    pub created_at: String,
}

impl ShopJob {
    /// Whether this job may be deleted with its contact (unknown states block, to be safe).
    pub fn deletable(&self) -> bool {
        JobState::parse(&self.state).is_some_and(|s| s.deletable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_states_parse_with_sub_states() {
        assert_eq!(
            JobState::parse("processing:preflight"),
            Some(JobState::Processing(Some("preflight".into())))
        );
        assert_eq!(JobState::parse("processing:"), None);
        assert_eq!(JobState::parse("bogus"), None);
        assert!(JobState::parse("done").unwrap().deletable());
        assert!(!JobState::parse("processing").unwrap().deletable());
        assert_eq!(
            JobState::parse("processing:rip").unwrap().to_string(),
            "processing:rip"
        );
    }
}
