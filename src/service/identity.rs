//! Who is asking: an OS user identified by the kernel (or the owner of a personal database),
//! the groups it belongs to, the operator signed in on a shared account, its role and modes.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::config::{Config, Role};

/// The identity every request is judged by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The OS user (from the socket's peer credentials, or the process's real uid).
    pub user: String,
    pub uid: u32,
    pub groups: Vec<String>,
    /// The operator signed in on a shared terminal account.
    pub operator: Option<String>,
    pub role: Role,
    pub read_only: bool,
    /// True in personal mode (no daemon: the user's own database).
    pub personal: bool,
}

impl Identity {
    /// The name the audit log and the header show: `operator (user)` on a shared account.
    pub fn who(&self) -> String {
        match &self.operator {
            Some(op) => format!("{op} ({})", self.user),
            None => self.user.clone(),
        }
    }

    /// A daemon's client, from the peer uid the kernel gave; the role comes from the daemon's
    /// config only (by name, else an admin group, else staff).
    pub fn of_peer(uid: u32, config: &Config) -> Identity {
        let (user, groups) = account(uid);
        let role = config.role_of_member(&user, &groups);
        Identity {
            user,
            uid,
            groups,
            operator: None,
            role,
            read_only: false,
            personal: false,
        }
    }

    /// Personal mode: this process's real user; the owner of the database (or of the folder it
    /// will be created in) is its admin, anyone else gets the role `[operators]` names.
    pub fn personal(db_path: &Path, config: &Config, read_only: bool) -> Identity {
        let uid = nix::unistd::getuid().as_raw();
        let (user, groups) = account(uid);
        let owner = owner_of(db_path);
        let role = if owner.is_none_or(|o| o == uid) {
            Role::Admin
        } else {
            config.role_of_member(&user, &groups)
        };
        Identity {
            user,
            uid,
            groups,
            operator: None,
            role,
            read_only,
            personal: true,
        }
    }

    /// A web client that proved a token (`POST /api/events`): audited as `http:<what>`, staff.
    pub fn web(what: &str) -> Identity {
        Identity {
            user: format!("http:{what}"),
            uid: u32::MAX,
            groups: Vec::new(),
            operator: None,
            role: Role::Staff,
            read_only: false,
            personal: false,
        }
    }

    /// The identity of a test or tool: an admin named `user`.
    pub fn admin(user: &str) -> Identity {
        Identity {
            user: user.to_string(),
            uid: 0,
            groups: Vec::new(),
            operator: None,
            role: Role::Admin,
            read_only: false,
            personal: true,
        }
    }
}

/// The uid of the file, or of its closest existing folder.
fn owner_of(path: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    path.ancestors()
        .find_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.uid())
}

/// The user name and group names of a uid (the uid itself when it has no account).
pub fn account(uid: u32) -> (String, Vec<String>) {
    use nix::unistd::{Gid, Group, Uid, User, getgrouplist};
    let Ok(Some(user)) = User::from_uid(Uid::from_raw(uid)) else {
        return (uid.to_string(), Vec::new());
    };
    let name = user.name.clone();
    let groups = std::ffi::CString::new(name.clone())
        .ok()
        .and_then(|c| getgrouplist(&c, user.gid).ok())
        .unwrap_or_else(|| vec![user.gid])
        .into_iter()
        .filter_map(|g: Gid| Group::from_gid(g).ok().flatten().map(|g| g.name))
        .collect();
    (name, groups)
}
