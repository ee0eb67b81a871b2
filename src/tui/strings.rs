//! Every word the TUI shows, in one place.

pub mod pos;

pub mod actions {
    pub const QUIT: &str = "Quit backroom";
    pub const HELP: &str = "Show this help";
    pub const PALETTE: &str = "Open the command palette";
    pub const FILTER: &str = "Filter the pane (words, field:value)";
    pub const NEXT_PANE: &str = "Show the next pane";
    pub const PREV_PANE: &str = "Show the previous pane";
    pub const SHOW: &str = "Show this pane";
    pub const RELOAD: &str = "Reload the pane from the database";
    pub const DOWN: &str = "Move down";
    pub const UP: &str = "Move up";
    pub const PAGE_DOWN: &str = "Move one page down";
    pub const PAGE_UP: &str = "Move one page up";
    pub const FIRST: &str = "Go to the first row";
    pub const LAST: &str = "Go to the last row";
    pub const DETAIL: &str = "Open the detail of the selected row";
    pub const SORT_NEXT: &str = "Sort by the next column";
    pub const SORT_REVERSE: &str = "Reverse the sort order";
    pub const MARK: &str = "Mark or unmark the row (bulk actions)";
    pub const MARK_ALL: &str = "Mark or unmark the loaded rows";
    pub const CLEAR: &str = "Clear the marks, then the filter";
    pub const YANK: &str = "Copy the selected row to the clipboard (OSC 52)";
    pub const SCROLL_LEFT: &str = "Scroll the columns left (ids and states stay)";
    pub const SCROLL_RIGHT: &str = "Scroll the columns right (ids and states stay)";
    pub const CLOSE: &str = "Close the popup (cancel)";
    pub const CONFIRM: &str = "Confirm";
}

pub mod panes {
    pub const PRINTERS: &str = "Printers";
    pub const PRINT_JOBS: &str = "Print jobs";
    pub const CONTACTS: &str = "Contacts";
    pub const POS_FOLDERS: &str = "POS folders";
    pub const SYNC_TABLES: &str = "Sync tables";
    pub const SYNC: &str = "Sync";
    pub const TILLS: &str = "Tills";
    pub const HEALTH: &str = "Health";
    pub const TILLS_EMPTY: &str =
        "No till has reported to this server yet: tills report their status each time they push";
    pub const HEALTH_EMPTY: &str =
        "Not checked yet: t checks now (the worker checks every minute; or backroom doctor)";
    pub const AUDIT: &str = "Audit";
    pub const AUDIT_EMPTY: &str =
        "Nothing audited yet: every change and refusal will be listed here (backroom audit list)";
    pub const PRINTERS_EMPTY: &str =
        "No printer configured yet. Add one with a, or: backroom printers add --help";
    pub const PRINT_JOBS_EMPTY: &str =
        "No print jobs yet. Events create them: backroom events --help";
    pub const CONTACTS_EMPTY: &str =
        "No contacts yet. Add or import some: backroom contacts --help";
    pub const POS_FOLDERS_EMPTY: &str = "No POS folder yet. Create one: backroom pos --help";
    pub const SYNC_TABLES_EMPTY: &str =
        "No sync tables yet. Declare which tables go to the tills: backroom sync --help";
    pub const SYNC_EMPTY: &str =
        "No POS folder yet, so nothing synchronises. Create one: backroom pos --help";

    /// `No print jobs match state:failed (esc clears the filter)`.
    pub fn no_match(pane: &str, filter: &str) -> String {
        format!(
            "No {} match `{filter}` (esc clears the filter)",
            pane.to_lowercase()
        )
    }

    pub const LOADING: &str = "Loading…";

    /// The table's title: `Print jobs · 1,204 rows · state:failed · by created ↓ · 3 marked`.
    pub fn title(
        pane: &str,
        total: Option<crate::store::counts::Count>,
        filter: &str,
        sort: &str,
        desc: bool,
        marked: usize,
    ) -> String {
        let mut t = pane.to_string();
        if let Some(c) = total {
            let rows = if c.n == 1 { "row" } else { "rows" };
            if c.exact {
                t.push_str(&format!(" · {} {rows}", thousands(c.n)));
            } else {
                t.push_str(&format!(" · more than {} {rows}", thousands(c.n)));
            }
        }
        if !filter.is_empty() {
            t.push_str(&format!(" · filter: {filter}"));
        }
        t.push_str(&format!(" · by {sort} {}", if desc { "↓" } else { "↑" }));
        if marked > 0 {
            t.push_str(&format!(" · {marked} marked"));
        }
        t
    }

    /// `2 columns hidden: next, error · < >`, at the top right of a table too narrow for all.
    pub fn hidden_columns(left: &[&str], right: &[&str]) -> String {
        let n = left.len() + right.len();
        let all: Vec<&str> = left.iter().chain(right).copied().collect();
        format!(
            "{n} column{} hidden: {} · {}",
            if n == 1 { "" } else { "s" },
            all.join(", "),
            scroll_keys(left.len(), right.len())
        )
    }

    /// `+4 hidden >`, when the sentence does not fit.
    pub fn hidden_short(left: usize, right: usize) -> String {
        format!("+{} hidden {}", left + right, scroll_keys(left, right))
    }

    fn scroll_keys(left: usize, right: usize) -> &'static str {
        match (left > 0, right > 0) {
            (true, true) => "< >",
            (true, false) => "<",
            _ => ">",
        }
    }
    /// Appended to a table's title while the rows of a new filter are being read.
    pub const FILTERING: &str = " · filtering…";

    /// `1234567` as `1,234,567`.
    pub fn thousands(n: u64) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }
}

pub mod printers {
    pub const PRINTING_OFF: &str = "⚠ Printing is switched off for this store: events queue no print jobs. \
         Switch it on: P, or backroom printers enable";
    pub const NO_PRINTER: &str = "⚠ No printer is configured: nothing can print. \
         Add one with a, or: backroom printers add --help";
    pub const NO_DEFAULT: &str = "⚠ No default printer: jobs for the default printer fail. \
         Choose one: d, or backroom printers set-default NAME";

    /// How long finished print jobs are kept (`PRINT_JOB_RETENTION`).
    pub fn retention(days: impl std::fmt::Display) -> String {
        format!("Finished print jobs and their documents are purged after {days}.")
    }

    pub const ADD: &str = "Add a printer";
    pub const EDIT: &str = "Change the printer's target, API key or copies";
    pub const REMOVE: &str = "Remove the printer (the default asks for a successor)";
    pub const MAKE_DEFAULT: &str = "Make the printer the default";
    pub const CHECK: &str = "Check the printer: state, reasons, trays";
    pub const CHOOSE_TRAY: &str = "Choose the tray among those the printer offers";
    pub const TEST_PAGE: &str = "Print a test page on the printer";
    pub const TOGGLE_ENABLED: &str = "Switch the printer on or off";
    pub const TOGGLE_PRINTING: &str = "Switch printing on or off for the store";

    pub const MAKING_DEFAULT: &str = "Making the default printer";
    pub const CHECKING: &str = "Checking the printer";
    pub const READING_TRAYS: &str = "Asking the printer for its trays";
    pub const SAVING_TRAY: &str = "Saving the tray";
    pub const SENDING_TEST_PAGE: &str = "Sending a test page";
    pub const SWITCHING: &str = "Switching";
    pub const ADD_TITLE: &str = "Add printer";
    pub const NAME: &str = "Name";
    pub const PROVIDER: &str = "Provider";
    pub const TARGET: &str = "Target";
    pub const TARGET_HINT: &str =
        "ipp://host/ipp/print · host:9100 · PrintNode printer id · /spool/folder";
    pub const API_KEY: &str = "API key";
    pub const API_KEY_HINT: &str = "PrintNode only";
    pub const API_KEY_KEEP: &str = "empty keeps the current key";
    pub const TRAY_HINT: &str =
        "IPP media-source (main, manual, tray-2…); empty: the printer's default";
    pub const COPIES: &str = "Copies";
    pub const COPIES_EXPECTED: &str = "expected a number from 1 to 999";
    pub const MAKE_IT_DEFAULT: &str = "Default printer";
    pub const YES: &str = "yes";
    pub const NO: &str = "no";
    pub const SUCCESSOR: &str = "New default";
    pub const SUCCESSOR_HINT: &str = "←/→ choose the printer that becomes the default";
    pub const REMOVE_TITLE: &str = "Remove printer";
    pub const LAST_PRINTER: &str = "It is the last printer: print jobs will fail with \"no default printer\" until one is added.";
    pub const JOBS_GO_TO_DEFAULT: &str =
        "Its unfinished print jobs and its triggers go to the default printer.";
    pub const ADDING: &str = "Adding the printer";
    pub const READING: &str = "Reading the printer";
    pub const SAVING: &str = "Saving the printer";
    pub const REMOVING: &str = "Removing the printer";
    pub const TRAY: &str = "Tray";
    pub const TRAY_CHOICE_HINT: &str = "←/→ choose among the trays the printer offers";
    /// The choice that clears the tray.
    pub const PRINTER_DEFAULT_TRAY: &str = "(printer default)";

    pub fn added(name: &str, default: bool) -> String {
        if default {
            format!("Added printer {name} (the default printer).")
        } else {
            format!("Added printer {name}.")
        }
    }

    pub fn name_taken(name: &str) -> String {
        format!("✗ a printer named {name:?} already exists")
    }

    pub fn edit_title(name: &str) -> String {
        format!("Edit printer {name}")
    }

    pub fn saved(name: &str) -> String {
        format!("Saved printer {name}.")
    }

    pub fn remove_default_title(name: &str) -> String {
        format!("Remove {name}, the default printer")
    }

    pub fn remove_line(name: &str) -> String {
        format!(
            "Remove the printer configuration {name}? Its unfinished jobs go to the default printer."
        )
    }

    pub fn remove_button(name: &str) -> String {
        format!("Remove {name}")
    }

    pub fn removed(name: &str, new_default: Option<&str>, moved: i64) -> String {
        let mut text = format!("Removed printer {name}.");
        if let Some(next) = new_default {
            text.push_str(&format!(" {next} is now the default printer."));
        }
        if moved > 0 {
            text.push_str(&format!(
                " {moved} job(s) or trigger(s) now use the default printer."
            ));
        }
        text
    }

    pub fn gone(id: i64) -> String {
        format!("Printer {id} no longer exists (reload with ctrl-r).")
    }

    pub fn now_default(name: &str) -> String {
        format!("{name} is now the default printer.")
    }

    pub fn tray_title(name: &str) -> String {
        format!("Tray of {name}")
    }

    /// Hint under a free-text tray field when the printer listed no trays.
    pub fn no_trays(why: &str) -> String {
        format!("The printer listed no trays ({why}); type an IPP media-source, or leave empty")
    }

    pub fn tray_saved(name: &str, tray: Option<&str>) -> String {
        match tray {
            Some(t) => format!("{name} now prints from tray {t}."),
            None => format!("{name} now prints from the printer's default tray."),
        }
    }

    pub fn test_page_sent(name: &str, remote: Option<&str>) -> String {
        match remote {
            Some(r) => format!("Test page sent to {name} (remote job {r})."),
            None => format!("Test page sent to {name}."),
        }
    }

    pub fn test_page_failed(name: &str, error: &str) -> String {
        format!("Test page to {name} not sent: {error}")
    }

    pub fn switched(name: &str, enabled: bool) -> String {
        if enabled {
            format!("{name} is switched on.")
        } else {
            format!("{name} is switched off (n switches it back on).")
        }
    }

    pub fn printing_switched(enabled: bool) -> String {
        if enabled {
            "Printing is switched on for the store.".to_string()
        } else {
            "Printing is switched off for the store: events queue no print jobs (P switches it back on).".to_string()
        }
    }

    pub const TRIGGERS: &str = "Print triggers: which event prints which document, where, how many";
    pub const READING_TRIGGERS: &str = "Reading the print triggers";
    pub const SAVING_TRIGGERS: &str = "Saving the print triggers";
    pub const TRIGGERS_TITLE: &str = "Print triggers";
    pub const EDIT_TRIGGERS: &str = "changing the print triggers";
    pub const TRIGGER_ON: &str = "on";
    pub const TRIGGER_OFF: &str = "off";
    pub const TRIGGER_PRINTER: &str = "printer";
    pub const TRIGGER_COPIES: &str = "copies";
    pub const TRIGGER_DEFAULT_PRINTER: &str = "(default)";
    pub const TRIGGER_COPIES_HINT: &str = "empty: the printer's own number of copies";
    pub const TRIGGERS_UNCHANGED: &str = "The print triggers are unchanged.";

    /// The on/off field's label: `order.shipped → delivery slip`.
    pub fn trigger_label(event_kind: &str, document: &str) -> String {
        format!("{event_kind} → {}", document.replace('_', " "))
    }

    /// Under the on/off field: what an event of this kind does now (short: the popup is narrow).
    pub fn trigger_now(enabled: bool, printer: Option<&str>, copies: Option<u32>) -> String {
        if !enabled {
            return "now off: events are kept, nothing prints".to_string();
        }
        let printer = printer.unwrap_or("default printer");
        match copies {
            Some(n) => format!("now: {printer}, {n} copies"),
            None => format!("now: {printer}, printer's copies"),
        }
    }

    pub fn trigger_printer_gone(name: &str) -> String {
        format!("printer {name} was removed meanwhile; choose another one")
    }

    pub fn triggers_saved(kinds: &[String]) -> String {
        format!("Saved the print triggers: {}.", kinds.join(", "))
    }
}

pub mod audit {
    pub const RETENTION: &str = "Every change and refusal, newest first; kept 400 days";
    pub const READ: &str = "Reading the audit log";
}

pub mod header {
    pub const READ_ONLY: &str = " READ-ONLY ";
    pub const WORKER: &str = "worker";
    pub const WORKER_STARTING: &str = "starting";
    pub const WORKER_OFF_READ_ONLY: &str = "not running (read-only)";

    /// Who is at the console: personal mode (the user's own database) names the mode first.
    pub fn operator(personal: bool, who: &str, role: &str) -> String {
        if personal {
            format!("personal · {who} ({role})")
        } else {
            format!("{who} ({role})")
        }
    }

    /// `queue: 2 print, 6 till`, or without its label.
    pub fn queue(print_jobs: u64, till: u64, labelled: bool) -> String {
        let counts = format!("{print_jobs} print, {till} till");
        if labelled {
            format!("queue: {counts}")
        } else {
            counts
        }
    }
}

pub mod status {
    pub fn delivered(name: &str) -> String {
        format!("{name} is in your downloads folder")
    }

    pub fn through_daemon_files(twin: &str) -> String {
        format!(
            "Files stay on your side of the daemon: use `{twin}` in a shell (it carries the file over the socket)"
        )
    }

    /// The hints at the right of the status line, with the active keymap's keys.
    pub const HINTS: &[(&str, &str)] = &[
        ("help", "help"),
        ("palette", "command"),
        ("filter", "filter"),
        ("quit", "quit"),
    ];
    pub const NO_WORKER: &str = "The worker does not run in this console (it was started read-only): \
         run `backroom worker`, or start backroom without --read-only.";
    pub const NO_ROW: &str = "No row is selected.";
    pub const FILTER_PROMPT: &str = "/";
    pub const PALETTE_PROMPT: &str = ":";
    pub const READ_ONLY_ON: &str =
        "Read-only from now on: every change is refused until backroom restarts.";
    pub const READ_ONLY_STAYS: &str = "Read-only stays on: nothing inside the console lifts it \
         (restart backroom without --read-only to change things).";
    pub const CLEARED_MARKS: &str = "Marks cleared.";
    pub const CLEARED_FILTER: &str = "Filter cleared.";
    pub const NO_DETAIL: &str = "The row is gone (deleted meanwhile); the pane was reloaded.";

    pub fn working(label: &str) -> String {
        format!("{label}…")
    }

    pub fn progress(label: &str, done: u64, total: u64) -> String {
        format!("{label}: {done}/{total}")
    }

    pub fn theme(name: &str) -> String {
        format!("Theme {name}.")
    }

    pub fn keymap(name: &str) -> String {
        format!("Keymap {name}.")
    }

    pub fn copied(what: &str) -> String {
        format!("Copied {what} to the clipboard.")
    }

    pub const THE_ROW: &str = "the row";

    pub fn marked(n: usize) -> String {
        format!("{n} marked.")
    }

    pub fn load_failed(pane: &str, e: &str) -> String {
        format!("Cannot read {}: {e}", pane.to_lowercase())
    }
}

pub mod palette {
    pub const UNKNOWN: &str = "unknown command";
    pub const THEME_NEEDS_NAME: &str = "`:theme` needs a name";
    pub const KEYMAP_NEEDS_NAME: &str = "`:keymap` needs a name";
    pub const SORT_NEEDS_COLUMN: &str = "`:sort` needs a column";

    pub fn unknown(cmd: &str, known: &str) -> String {
        format!("{UNKNOWN} `:{cmd}`; try {known} (tab completes)")
    }

    pub fn unknown_column(col: &str, known: &str) -> String {
        format!("no column `{col}` in this pane; columns: {known}")
    }

    /// What each command does, for completion hints and help.
    pub const COMMANDS: &[(&str, &str)] = &[
        ("printers", "show the printers"),
        ("jobs", "show the print jobs"),
        ("contacts", "show the contacts"),
        ("pos", "show the POS folders"),
        ("tables", "show the sync tables"),
        ("sync", "show the sync status per folder"),
        ("theme", "switch theme: :theme NAME"),
        ("keymap", "switch keymap: :keymap NAME"),
        ("sort", "sort by a column: :sort NAME [desc]"),
        ("filter", "filter the pane: :filter TEXT"),
        (
            "readonly",
            "turn read-only mode on (until backroom restarts)",
        ),
        ("reload", "reload the pane"),
        ("help", "show the keys"),
        ("quit", "quit backroom"),
    ];
}

pub mod popups {
    /// What `esc` does in a dialog: go back, nothing done. ("Cancel" read as the action in the
    /// print-job cancel dialog: `y Cancel 1 job(s)  esc Cancel`.)
    pub const CANCEL: &str = "Back";
    pub const CLOSE: &str = "Close";
    pub const SCROLL: &str = "Scroll";
    pub const NONE: &str = "—";

    pub fn position(first: usize, last: usize, total: usize) -> String {
        format!("lines {first}-{last} of {total}")
    }
}

pub mod help {
    use crate::tui::action::Section;
    use crate::tui::panes::Pane;

    pub const NO_ROW_ACTIONS: &str = "(no row actions in this pane yet)";
    pub const FIXED_TITLE: &str = "Fixed keys";
    pub const FIXED: &[(&str, &str)] = &[
        ("ctrl-c", "Quit, whatever the keymap says"),
        (
            "/ … enter | esc",
            "Filter: words match any column, field:value one column (state:failed printer:front), field:!value negates, field:>value compares; enter keeps it, esc restores",
        ),
        (
            ": … tab | up down",
            "Command palette: tab completes, up/down walk the history, enter runs",
        ),
        (
            "forms",
            "tab/down next field, backtab/up previous, pgdown/pgup tabs, left/right choices, enter submits, esc cancels",
        ),
        (
            "mouse",
            "click a tab to show it, click a row to select it, the wheel scrolls",
        ),
    ];

    pub fn title(keymap: &str) -> String {
        format!("Keys (keymap {keymap})")
    }

    pub fn section_title(section: Section, pane: Pane) -> String {
        match section {
            Section::Global => "Everywhere [global]".to_string(),
            Section::List => "In a pane [list]".to_string(),
            Section::Popup => "In a popup [popup]".to_string(),
            Section::Pane(_) => format!("{} [{}]", pane.title(), pane.name()),
        }
    }
}

pub mod form {
    pub const REQUIRED: &str = "required";
    pub const FIX_FIELDS: &str = "Fix the fields in red, then press enter again.";
    pub const KEYS: &str = " tab next · pgdown tab · enter submit · esc cancel ";
}

pub mod refused {
    pub fn read_only(action: &str) -> String {
        format!("{action} is refused: backroom runs read-only (restart without --read-only)")
    }
}

pub mod print_jobs {
    pub const RESCHEDULE: &str = "Reschedule the marked (or selected) failed jobs";
    pub const RESCHEDULE_FILTERED: &str = "Reschedule every failed job the filter shows";
    pub const REPRINT: &str = "Print the selected job's document again (a new job)";
    pub const CANCEL: &str = "Cancel the marked (or selected) pending jobs";
    pub const CANCEL_FILTERED: &str = "Cancel every pending job the filter shows";
    pub const DOWNLOAD: &str = "Download the exact bytes that were sent (to the downloads dir)";
    pub const CONFIRM_PRINTED: &str =
        "Unconfirmed jobs: it came out of the printer, mark the marked (or selected) jobs printed";
    pub const CONFIRM_REPRINT: &str =
        "Unconfirmed jobs: it did not come out, print the marked (or selected) jobs again";
    pub const CONFIRMING: &str = "Recording the decision";

    pub const RESCHEDULING: &str = "Rescheduling";
    pub const REPRINTING: &str = "Queueing a reprint";
    pub const CANCELLING: &str = "Cancelling";
    pub const DOWNLOADING: &str = "Writing the document";
    pub const COUNTING: &str = "Reading the filtered jobs";

    pub const FAILED_JOBS_HINT: &str = "Failed jobs do not print again by themselves: reschedule them with r (R: every failed job shown)";
    pub const MAYBE_DUPLICATE: &str = "Some jobs were resent after a crash to a printer that cannot be asked: \
         they may have printed twice (maybe duplicate in the detail, enter)";

    /// The retention line (`PRINT_JOB_RETENTION`, not configurable).
    pub fn retention(days: u64) -> String {
        format!(
            "Finished jobs are purged after {days} days (PRINT_JOB_RETENTION, not configurable)."
        )
    }

    /// The loud notice over the list while jobs wait for a person's decision.
    pub fn unconfirmed_count(n: i64) -> String {
        format!(
            "⚠ {n} UNCONFIRMED print job(s): sent before a crash, the printer may have printed them. \
             Check the output tray, then O: it printed · Z: print it again."
        )
    }

    pub fn failed_count(n: i64) -> String {
        format!("⚠ {n} failed print job(s).")
    }

    pub fn done(verb: &str, ids: &[i64], skipped: &[String]) -> String {
        let mut s = match ids.len() {
            0 => format!("No job {verb}"),
            1 => format!("Job {} {verb}", ids[0]),
            n => format!("{n} jobs {verb}"),
        };
        if !skipped.is_empty() {
            s.push_str(&format!("; left alone: {}", skipped.join(", ")));
        }
        s.push('.');
        s
    }

    pub fn reprinted(new: i64, of: i64) -> String {
        format!("Job {new} queued: a reprint of job {of}.")
    }

    pub fn downloaded(id: i64, bytes: usize, path: &std::path::Path) -> String {
        format!("Job {id}: {bytes} bytes written to {}.", path.display())
    }

    /// `Cancel print job 1000000 (Invoice INV-10486 on front-desk)?`
    pub fn cancel_one(id: i64, document: &str, printer: &str) -> String {
        format!("Cancel print job {id} ({document} on {printer})?")
    }

    /// `Cancel print jobs 12, 15 and 18?` (the first ten ids, then how many more).
    pub fn cancel_many(ids: &[i64]) -> String {
        let shown: Vec<String> = ids.iter().take(10).map(|i| i.to_string()).collect();
        let more = ids.len().saturating_sub(10);
        let list = match (shown.split_last(), more) {
            (Some((last, [])), 0) => last.clone(),
            (Some((last, rest)), 0) => format!("{} and {last}", rest.join(", ")),
            (_, more) => format!("{} and {more} more", shown.join(", ")),
        };
        format!("Cancel print jobs {list}?")
    }

    pub fn confirm_bulk(verb: &str, n: usize) -> String {
        format!("{verb} {n} job(s)")
    }

    pub fn job_unconfirmed(id: i64) -> String {
        format!(
            "Print job {id} is UNCONFIRMED: the printer may have printed it (O: it printed · Z: print it again)."
        )
    }

    pub fn job_failed(id: i64) -> String {
        format!("Print job {id} failed (enter on it shows why).")
    }

    pub fn gone(id: i64) -> String {
        format!("Print job {id} no longer exists (reload with ctrl-r).")
    }
}

/// The Sync pane (till synchronisation status and runs).
pub mod sync {
    pub const RUN_EXPORT: &str = "Export the changes now (export_caisseauto)";
    pub const RUN_EXPORT_FULL: &str =
        "Export a full batch now (what a new or repaired till starts from)";
    pub const RUN_IMPORT: &str = "Import the new batches now (import_caisseauto)";
    pub const RUN_IMPORT_FULL: &str = "Full re-import from the latest full batch";
    pub const RUN_PUSH: &str = "Push the till queue to the server now";
    pub const RUN_UPDATE: &str = "Install update packages now (import_updatecaisse)";
    /// Names the processes, not their keys: the keys are the keymap's (`x` export and `u` push
    /// in the default one, `alt-o` and `alt-u` in Emacs'), and `?` lists them. The line named
    /// keys of its own (`e`, `p`, `u` update) that did nothing or ran a push.
    pub const KEYS_NOTICE: &str = "From a folder's row: export, full export, import, full re-import, push, update (? lists their keys) · enter details";

    pub fn blocked(folder: &str, channel: &str, error: &str, hint: &str) -> String {
        format!("{folder}: {channel} blocked: {error} — what to do: {hint}")
    }

    pub fn waiting(folder: &str, n: i64, age: &str) -> String {
        format!("{folder}: {n} item(s) wait for the server, the oldest for {age}")
    }

    pub fn started(folder: &str, process: &str) -> String {
        format!("{process} of {folder} started…")
    }

    pub const ASK_TITLE: &str = "Install an update package?";

    pub fn ask_lines(folder: &str, version: &str, file: &str, timeout_secs: u64) -> Vec<String> {
        vec![
            format!("import_updatecaisse of folder {folder} asks:"),
            format!("install package {file} version {version}?"),
            String::new(),
            format!(
                "Cancelling declines it and the later ones; no answer within {timeout_secs} s counts as no."
            ),
        ]
    }

    pub fn ask_button(version: &str) -> String {
        format!("Install {version}")
    }

    pub fn ask_expired(folder: &str, version: &str, timeout_secs: u64) -> String {
        format!(
            "update of {folder}: no answer within {timeout_secs} s, package {version} was not installed (taken as no)"
        )
    }

    pub fn progress(folder: &str, process: &str, done: u64, total: Option<u64>) -> String {
        match total {
            Some(t) => format!("{process} of {folder}: {done} of {t} rows"),
            None => format!("{process} of {folder}: {done} rows"),
        }
    }
}

pub mod health {
    pub const CHECK_AGAIN: &str = "Run every check again now (backroom doctor)";
    pub const APPLY_FIX: &str = "Apply the selected finding's fix where backroom can (reschedule, switch printing on, full re-import or re-export)";
    pub const CHECKING: &str = "Checking";
    pub const FIXING: &str = "Fixing";
    pub const FIX_TITLE: &str = "Apply the fix";
    pub const PRINTING_ON: &str = "Printing is switched on";
    pub const NEVER_CHECKED: &str =
        "Not checked yet: the worker checks every minute, t checks now (or backroom doctor)";

    pub fn checked(problems: usize) -> String {
        if problems == 0 {
            "Checked: nothing needs attention".to_string()
        } else {
            format!("Checked: {problems} finding(s) need attention")
        }
    }

    pub fn checked_at(at: &str) -> String {
        format!(
            "Checked at {} · t checks again · ! applies the fix · enter shows evidence and fix",
            crate::cli::output::local_time(at)
        )
    }

    pub fn reschedule_all(state: &str) -> String {
        format!("Reschedule every {state} job")
    }

    pub fn reschedule_lines(state: &str) -> String {
        format!("Every {state} print job goes back to pending and is sent again.")
    }

    pub fn rescheduled(n: usize) -> String {
        format!("{n} job(s) rescheduled")
    }

    pub fn no_automatic_fix(code: &str) -> String {
        format!("{code}: backroom cannot fix this itself — enter shows what to do")
    }

    pub fn full_reimport(folder: &str) -> String {
        format!("Re-import folder {folder} from the latest full batch")
    }

    pub fn full_export(folder: &str) -> String {
        format!("Export a full batch of folder {folder} for its tills")
    }
}

pub mod tills {
    pub fn silent(silent: usize, all: usize) -> String {
        format!(
            "{silent} of {all} till(s) silent: no report for over 3 × their period (check their network and worker)"
        )
    }

    pub fn all_speaking(n: usize) -> String {
        if n == 0 {
            "No till has reported yet: tills report when they push".to_string()
        } else {
            format!("{n} till(s), all speaking")
        }
    }

    pub fn silent_for(age: &str, limit: &str) -> String {
        format!("SILENT for {age} (limit {limit})")
    }
}

pub mod sign_in {
    pub const TITLE: &str = " Sign in ";
    pub const OPERATOR: &str = "Operator: ";
    pub const PASSWORD: &str = "Password: ";
    pub const KEYS: &str = "enter: next / sign in · tab: switch field · esc: quit";
    pub const CHECKING: &str = "Checking the password…";
    pub const EMPTY: &str = "Type the operator's name and password";

    pub fn shared(account: &str) -> String {
        format!("{account} is a shared terminal account: sign in as an operator")
    }

    pub fn idle(minutes: f64) -> String {
        format!("Signed out after {minutes} minute(s) without a key")
    }
}
