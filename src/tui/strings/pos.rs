//! Every word of the POS folders and sync tables panes.

use crate::pos::conntest::{ConnectionTest, Target};

pub const ADD: &str = "Add a POS folder (four tabs: server, DB, FTP, till)";
pub const EDIT: &str = "Edit the POS folder's four tabs";
pub const TEST_DB: &str = "Test the DB server connection (logs in, runs a query)";
pub const TEST_FTP: &str = "Test the FTP server (logs in, target folder, test.txt)";
pub const TEST_WS: &str = "Test the web service (GET /health)";
pub const TEST_ALL: &str = "Test the three connections of the folder";
pub const REMOVE: &str = "Remove the POS folder with its tables, processes and results";
pub const PROCESSES: &str = "Set the folder's processes: schedule, switch, update confirmation";
pub const SCHEDULE: &str = "Every (seconds)";
pub const STATE: &str = "State";
pub const CONFIRM: &str = "Confirmation";
pub const CONFIRM_HINT: &str = "always: each package; once: the first; never: piloted";

pub fn processes_title(code: &str) -> String {
    format!("Processes of {code}")
}

pub fn processes_saved(code: &str) -> String {
    format!("Saved the processes of {code}.")
}

pub fn bad_schedule(min: u32, max: u32) -> String {
    format!("expected whole seconds from {min} to {max}")
}

pub const ADD_TITLE: &str = "Add POS folder";
pub const KEEP_PASSWORD: &str = "empty keeps the current password";
pub const KEYS_NOTICE: &str = "Passwords are masked. Test a folder's DB, FTP and web service connections from its row (? lists the keys).";

pub fn edit_title(code: &str) -> String {
    format!("POS folder {code}")
}

pub fn saving(code: &str) -> String {
    format!("Saving POS folder {code}")
}

pub fn added(code: &str) -> String {
    format!(
        "Added POS folder {code} with its processes export_caisseauto, import_caisseauto, import_updatecaisse."
    )
}

pub fn saved(code: &str) -> String {
    format!("Saved POS folder {code}.")
}

pub fn invalid(errors: &[String]) -> String {
    format!("Not saved: {}", errors.join("; "))
}

pub fn remove_lines(code: &str) -> Vec<String> {
    vec![
        format!("Remove the POS folder {code}?"),
        "Its sync tables, processes and connection test results go with it.".to_string(),
        "This cannot be undone.".to_string(),
    ]
}

pub fn remove_confirm(code: &str) -> String {
    format!("Remove {code}")
}

pub fn removed(code: &str) -> String {
    format!("Removed POS folder {code}.")
}

/// The busy label of a running test (the status line adds a spinner and "…").
pub fn testing(target: Target) -> String {
    format!("Testing the {}", target.label())
}

pub fn tested(code: &str, t: &ConnectionTest) -> String {
    format!(
        "{} of {code}: {}",
        t.verdict.target.label(),
        t.verdict.summary()
    )
}

pub fn test_error(target: Target, error: &str) -> String {
    format!("The {} test could not run: {error}", target.label())
}

pub fn failing(code: &str, t: &ConnectionTest) -> String {
    format!(
        "{code}: {} test failed ({}): {} [{}]",
        t.verdict.target.label(),
        t.verdict.failure.map(|f| f.as_str()).unwrap_or("failed"),
        t.verdict.message,
        crate::cli::output::local_time(&t.tested_at),
    )
}

pub mod tables {
    use crate::pos::SyncTable;

    pub const ADD: &str = "Add a table to synchronise (once per direction)";
    pub const REMOVE: &str = "Remove the marked (or selected) sync tables";
    pub const TOGGLE_TYPE: &str = "Switch the table between full and incremental";
    pub const CHECK: &str = "Check the folder's tables against its DB server";

    pub const ADD_TITLE: &str = "Add sync table";
    pub const FOLDER: &str = "POS folder";
    pub const TABLE: &str = "Table";
    pub const TYPE: &str = "Sync type";
    pub const DIRECTION: &str = "Direction";
    pub const FOLDER_HINT: &str = "the folder's code (e.g. STORE12)";
    pub const TABLE_HINT: &str = "ART, CLI, T012 ...; both ways = add it twice";
    pub const CHECKING: &str = "Checking the tables on the DB server";

    pub fn added(folder: &str, table: &str, direction: &str) -> String {
        format!("{folder}: {table} synchronised {direction}.")
    }

    pub fn remove_lines(n: usize) -> Vec<String> {
        vec![
            format!("Stop synchronising {n} table(s)?"),
            "The data already on the tills stays; later exports skip them.".to_string(),
        ]
    }

    pub fn remove_confirm(n: usize) -> String {
        format!("Remove {n} table(s)")
    }

    pub fn removed(n: usize) -> String {
        format!("Removed {n} sync table(s).")
    }

    pub fn switched(t: &SyncTable) -> String {
        format!("{} ({}) is now {}.", t.table_name, t.direction, t.sync_type)
    }

    pub fn missing(folder: &str, t: &SyncTable) -> String {
        format!(
            "{folder}: table {} ({}) does not exist on the DB server (checked {}).",
            t.table_name,
            t.direction,
            t.checked_at
                .as_deref()
                .map_or_else(|| "?".into(), crate::cli::output::local_time)
        )
    }

    pub fn checked(missing: &[String]) -> String {
        if missing.is_empty() {
            "Every sync table of the folder exists on its DB server.".to_string()
        } else {
            format!("Missing on the DB server: {}.", missing.join(", "))
        }
    }

    pub fn check_failed(error: &str) -> String {
        format!("Could not check the tables: {error}")
    }
}
