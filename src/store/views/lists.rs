//! Views the CLI lists filter on whose tables grow without bound (events, the audit log, a
//! till's tickets, the sync run log): `--filter` and the limit run in SQL, never on every row in
//! memory.

use super::{Detail, Match, View, col};
use rusqlite::Connection;

fn no_detail(_: &Connection, _: i64) -> rusqlite::Result<Option<Detail>> {
    Ok(None)
}

/// `backroom events list`, newest first.
pub static EVENTS: View = View {
    name: "events",
    from: "events e",
    id: "e.id",
    columns: &[
        col("id", "e.id", "e.id", Match::Exact, 6),
        col("kind", "e.kind", "e.kind", Match::Contains, 16),
        col(
            "reference",
            "e.reference",
            "e.reference",
            Match::Contains,
            16,
        ),
        col("source", "e.source", "e.source", Match::Exact, 6),
        col(
            "jobs",
            "(SELECT COUNT(*) FROM print_jobs j WHERE j.event_id = e.id)",
            "(SELECT COUNT(*) FROM print_jobs j WHERE j.event_id = e.id)",
            Match::Exact,
            4,
        ),
        col("created", "e.created_at", "e.created_at", Match::Exact, 0),
    ],
    default_sort: 0,
    default_desc: true,
    search: &["e.kind", "e.reference", "e.source"],
    detail: no_detail,
};

/// `backroom audit list`, newest first.
pub static AUDIT: View = View {
    name: "audit",
    from: "audit_log a",
    id: "a.id",
    columns: &[
        col("time", "a.at", "a.at", Match::Exact, 20),
        col(
            "user",
            "a.os_user",
            "COALESCE(a.operator || ' ', '') || a.os_user",
            Match::Contains,
            12,
        ),
        col("role", "a.role", "a.role", Match::Exact, 6),
        col("action", "a.action", "a.action", Match::Contains, 18),
        col("target", "a.target", "a.target", Match::Contains, 16),
        col("outcome", "a.outcome", "a.outcome", Match::Contains, 0),
    ],
    default_sort: 0,
    default_desc: true,
    search: &[
        "a.os_user",
        "COALESCE(a.operator, '')",
        "a.action",
        "a.target",
        "a.outcome",
    ],
    detail: no_detail,
};

/// `backroom till tickets list FOLDER`, in the order they were sold.
pub static TILL_TICKETS: View = View {
    name: "till_tickets",
    from: "till_tickets t",
    id: "t.id",
    columns: &[
        col("number", "t.number", "t.number", Match::Contains, 10),
        col("sold", "t.sold_at", "t.sold_at", Match::Exact, 20),
        col("total", "t.total_cents", "t.total_cents", Match::None, 8),
        col(
            "customer",
            "COALESCE(t.customer, '')",
            "COALESCE(t.customer, '')",
            Match::Contains,
            10,
        ),
        col(
            "sent",
            "CASE WHEN t.sent_at IS NOT NULL THEN 'yes' ELSE 'no' END",
            "CASE WHEN t.sent_at IS NOT NULL THEN 'yes' ELSE 'no' END",
            Match::Exact,
            4,
        ),
        col("uuid", "t.uuid", "t.uuid", Match::Contains, 0),
    ],
    default_sort: 0,
    default_desc: false,
    search: &["t.number", "COALESCE(t.customer, '')", "t.uuid"],
    detail: no_detail,
};

/// `backroom sync runs [FOLDER]`, newest first.
pub static SYNC_RUNS: View = View {
    name: "sync_runs",
    from: "sync_runs r LEFT JOIN pos_folders f ON f.id = r.folder_id",
    id: "r.id",
    columns: &[
        col("id", "r.id", "r.id", Match::Exact, 6),
        col(
            "folder",
            "COALESCE(f.code, '')",
            "COALESCE(f.code, '')",
            Match::Contains,
            8,
        ),
        col("process", "r.process", "r.process", Match::Exact, 8),
        col("time", "r.started_at", "r.started_at", Match::Exact, 20),
        col("rows", "r.rows", "r.rows", Match::Exact, 8),
        col(
            "outcome",
            "COALESCE(r.outcome, 'running')",
            "COALESCE(r.outcome, 'running')",
            Match::Exact,
            8,
        ),
        col(
            "message",
            "COALESCE(r.message, '')",
            "COALESCE(r.message, '')",
            Match::Contains,
            0,
        ),
    ],
    default_sort: 0,
    default_desc: true,
    search: &[
        "COALESCE(f.code, '')",
        "r.process",
        "COALESCE(r.message, '')",
    ],
    detail: no_detail,
};
