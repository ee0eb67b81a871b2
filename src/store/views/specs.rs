//! The five panes' views: which rows, which columns, how they sort and filter.

use super::details;
use super::{Column, Match, View};

/// A column: its name, the SQL shown, the SQL sorted and filtered on, how it filters, its width.
pub const fn col(
    name: &'static str,
    show: &'static str,
    value: &'static str,
    filter: Match,
    width: u16,
) -> Column {
    Column {
        name,
        show,
        value,
        filter,
        width,
    }
}

pub static PRINTERS: View = View {
    name: "printers",
    from: "printers p",
    id: "p.id",
    columns: &[
        col("name", "p.name", "p.name", Match::Contains, 18),
        col("provider", "p.provider", "p.provider", Match::Exact, 10),
        col("target", "p.target", "p.target", Match::Contains, 34),
        col(
            "tray",
            "COALESCE(p.tray, '')",
            "COALESCE(p.tray, '')",
            Match::Contains,
            12,
        ),
        col("copies", "p.copies", "p.copies", Match::Exact, 6),
        col(
            "enabled",
            "CASE p.enabled WHEN 1 THEN 'yes' ELSE 'no' END",
            "CASE p.enabled WHEN 1 THEN 'yes' ELSE 'no' END",
            Match::Exact,
            7,
        ),
        col(
            "default",
            "CASE p.is_default WHEN 1 THEN 'default' ELSE '' END",
            "CASE p.is_default WHEN 1 THEN 'yes' ELSE 'no' END",
            Match::Exact,
            8,
        ),
    ],
    default_sort: 0,
    default_desc: false,
    search: &["p.name", "p.target", "p.provider", "COALESCE(p.tray, '')"],
    detail: details::printer,
};

pub static PRINT_JOBS: View = View {
    name: "print_jobs",
    from: "print_jobs j LEFT JOIN printers p ON p.id = j.printer_id \
           LEFT JOIN documents d ON d.id = j.document_id",
    id: "j.id",
    columns: &[
        col("id", "j.id", "j.id", Match::Exact, 6),
        col(
            "created",
            "replace(substr(j.created_at, 1, 16), 'T', ' ')",
            "j.created_at",
            Match::Exact,
            16,
        ),
        col("state", "j.state", "j.state", Match::Exact, 11),
        col(
            "printer",
            "COALESCE(p.name, '(default)')",
            "COALESCE(p.name, '')",
            Match::Contains,
            12,
        ),
        col(
            "document",
            "COALESCE(d.title, '')",
            "COALESCE(d.title, '')",
            Match::Contains,
            18,
        ),
        col(
            "attempts",
            "j.attempts || '/' || j.max_attempts",
            "j.attempts",
            Match::Exact,
            8,
        ),
        col(
            "next",
            "CASE j.state WHEN 'pending' THEN replace(substr(j.next_attempt_at, 1, 16), 'T', ' ') ELSE '' END",
            "j.next_attempt_at",
            Match::Exact,
            16,
        ),
        col(
            "remote",
            "COALESCE(j.remote_state, '')",
            "COALESCE(j.remote_state, '')",
            Match::Exact,
            10,
        ),
        col(
            "error",
            "COALESCE(j.last_error, '')",
            "COALESCE(j.last_error, '')",
            Match::Contains,
            0,
        ),
    ],
    default_sort: 1,
    default_desc: true,
    search: &[
        "COALESCE(d.title, '')",
        "COALESCE(p.name, '')",
        "COALESCE(j.last_error, '')",
        "j.uuid",
        "COALESCE(j.remote_ref, '')",
    ],
    detail: details::print_job,
};

pub static CONTACTS: View = View {
    name: "contacts",
    from: "contacts c",
    id: "c.id",
    columns: &[
        col("name", "c.name", "c.name", Match::Contains, 22),
        col("email", "c.email", "c.email", Match::Contains, 30),
        col(
            "company",
            "COALESCE(c.company, '')",
            "COALESCE(c.company, '')",
            Match::Contains,
            20,
        ),
        col(
            "state",
            "replace(c.state, '_', ' ')",
            "c.state",
            Match::Exact,
            15,
        ),
        col(
            "invited",
            "CASE c.invited WHEN 1 THEN 'yes' ELSE 'no' END",
            "CASE c.invited WHEN 1 THEN 'yes' ELSE 'no' END",
            Match::Exact,
            7,
        ),
        col(
            "terms",
            "COALESCE(date(c.terms_accepted_at, 'localtime'), '')",
            "COALESCE(c.terms_accepted_at, '')",
            Match::Exact,
            10,
        ),
        col(
            "created",
            "date(c.created_at, 'localtime')",
            "c.created_at",
            Match::Exact,
            10,
        ),
    ],
    default_sort: 0,
    default_desc: false,
    search: &["c.name", "c.email", "COALESCE(c.company, '')"],
    detail: details::contact,
};

pub static POS_FOLDERS: View = View {
    name: "pos_folders",
    from: "pos_folders f",
    id: "f.id",
    columns: &[
        col("code", "f.code", "f.code", Match::Contains, 12),
        col(
            "administrator",
            "f.administrator",
            "f.administrator",
            Match::Contains,
            14,
        ),
        col(
            "database",
            "f.db_kind || ' ' || f.db_user || '@' || f.db_host || COALESCE(':' || f.db_port, '') || '/' || f.db_name",
            "f.db_host",
            Match::Contains,
            36,
        ),
        col(
            "ftp",
            "f.ftp_mode || ' ' || f.ftp_address",
            "f.ftp_address",
            Match::Contains,
            30,
        ),
        col(
            "wait",
            "f.sync_wait_ms || ' ms'",
            "f.sync_wait_ms",
            Match::Exact,
            9,
        ),
        col(
            "tables",
            "(SELECT COUNT(*) FROM sync_tables t WHERE t.folder_id = f.id)",
            "(SELECT COUNT(*) FROM sync_tables t WHERE t.folder_id = f.id)",
            Match::Exact,
            6,
        ),
        col("till", "f.ws_url", "f.ws_url", Match::Contains, 0),
    ],
    default_sort: 0,
    default_desc: false,
    search: &[
        "f.code",
        "f.administrator",
        "f.db_host",
        "f.ftp_address",
        "f.ws_url",
    ],
    detail: details::pos_folder,
};

pub static SYNC_TABLES: View = View {
    name: "sync_tables",
    from: "sync_tables t JOIN pos_folders f ON f.id = t.folder_id",
    id: "t.id",
    columns: &[
        col("folder", "f.code", "f.code", Match::Contains, 12),
        col("table", "t.table_name", "t.table_name", Match::Contains, 16),
        col("type", "t.sync_type", "t.sync_type", Match::Exact, 12),
        col(
            "direction",
            "CASE t.direction WHEN 'server_to_till' THEN 'server → till' ELSE 'till → server' END",
            "t.direction",
            Match::Exact,
            0,
        ),
    ],
    default_sort: 0,
    default_desc: false,
    search: &["f.code", "t.table_name"],
    detail: details::sync_table,
};
