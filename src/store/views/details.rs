//! One row of a pane with its related rows (attempts, identities, sync tables...), for the detail view.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

/// What the detail view shows: labelled fields, then titled sections of lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detail {
    pub title: String,
    pub fields: Vec<(String, String)>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Section {
    pub title: String,
    pub lines: Vec<String>,
}

fn text(v: Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Integer(i) => i.to_string(),
        Value::Real(f) => f.to_string(),
        Value::Text(t) => t,
        Value::Blob(b) => format!("({} bytes)", b.len()),
    }
}

/// One row as labelled fields; labels listed in `secrets` are masked.
fn fields(
    conn: &Connection,
    sql: &str,
    id: i64,
    labels: &[&str],
    secrets: &[&str],
) -> rusqlite::Result<Option<Vec<(String, String)>>> {
    conn.query_row(sql, [id], |r| {
        let mut out = Vec::with_capacity(labels.len());
        for (i, label) in labels.iter().enumerate() {
            let v: Value = r.get(i)?;
            let shown = if secrets.contains(label) {
                match &v {
                    Value::Text(s) => crate::secret::mask_opt(Some(s)),
                    _ => crate::secret::mask_opt(None),
                }
            } else {
                text(v)
            };
            out.push((label.to_string(), shown));
        }
        Ok(out)
    })
    .optional()
}

/// Related rows, one line each (columns separated by two spaces).
fn section(conn: &Connection, title: &str, sql: &str, id: i64) -> rusqlite::Result<Section> {
    let mut stmt = conn.prepare(sql)?;
    let n = stmt.column_count();
    let lines = stmt.query_map([id], |r| {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            let cell = text(r.get::<_, Value>(i)?);
            if !cell.is_empty() {
                cells.push(cell);
            }
        }
        Ok(cells.join("  "))
    })?;
    Ok(Section {
        title: title.to_string(),
        lines: lines.collect::<rusqlite::Result<_>>()?,
    })
}

fn detail(
    title: String,
    fields: Option<Vec<(String, String)>>,
    sections: Vec<Section>,
) -> Option<Detail> {
    fields.map(|fields| Detail {
        title,
        fields,
        sections,
    })
}

pub fn printer(conn: &Connection, id: i64) -> rusqlite::Result<Option<Detail>> {
    let f = fields(
        conn,
        "SELECT name, provider, target, api_key, COALESCE(tray, ''), copies,
                CASE enabled WHEN 1 THEN 'yes' ELSE 'no' END,
                CASE is_default WHEN 1 THEN 'yes' ELSE 'no' END, created_at
         FROM printers WHERE id = ?1",
        id,
        &[
            "name", "provider", "target", "api key", "tray", "copies", "enabled", "default",
            "created",
        ],
        &["api key"],
    )?;
    let jobs = section(
        conn,
        "latest print jobs",
        "SELECT '#' || j.id, j.state, j.created_at, d.title, j.last_error
         FROM print_jobs j LEFT JOIN documents d ON d.id = j.document_id
         WHERE j.printer_id = ?1 ORDER BY j.created_at DESC, j.id DESC LIMIT 10",
        id,
    )?;
    Ok(detail(format!("printer {id}"), f, vec![jobs]))
}

pub fn print_job(conn: &Connection, id: i64) -> rusqlite::Result<Option<Detail>> {
    let f = fields(
        conn,
        "SELECT j.id, j.uuid, j.state, COALESCE(p.name, '(default printer)'), d.kind || ': ' || d.title,
                d.sha256, j.copies, j.attempts || ' of ' || j.max_attempts, j.next_attempt_at,
                j.lease_holder, j.lease_expires_at, j.remote_ref, j.remote_state,
                CASE j.maybe_duplicate WHEN 1 THEN 'yes (sent again after a crash)' ELSE 'no' END,
                j.last_error, e.kind || ' ' || e.reference || ' (' || e.source || ')',
                j.created_at, j.finished_at
         FROM print_jobs j LEFT JOIN printers p ON p.id = j.printer_id
         LEFT JOIN documents d ON d.id = j.document_id LEFT JOIN events e ON e.id = j.event_id
         WHERE j.id = ?1",
        id,
        &[
            "id", "uuid", "state", "printer", "document", "sha-256", "copies", "attempts",
            "next attempt", "lease holder", "lease expires", "remote job", "remote state",
            "maybe duplicate", "last error", "event", "created", "finished",
        ],
        &[],
    )?;
    let attempts = section(
        conn,
        "attempts",
        "SELECT started_at, outcome, worker, error FROM print_attempts WHERE job_id = ?1
         ORDER BY started_at, id",
        id,
    )?;
    let warning = section(
        conn,
        "warning",
        "SELECT d.warning FROM print_jobs j JOIN documents d ON d.id = j.document_id
         WHERE j.id = ?1 AND d.warning IS NOT NULL",
        id,
    )?;
    let sections = if warning.lines.is_empty() {
        vec![attempts]
    } else {
        vec![warning, attempts]
    };
    Ok(detail(format!("print job {id}"), f, sections))
}

pub fn contact(conn: &Connection, id: i64) -> rusqlite::Result<Option<Detail>> {
    let f = fields(
        conn,
        "SELECT name, email, COALESCE(company, ''), replace(state, '_', ' '),
                CASE invited WHEN 1 THEN 'yes' ELSE 'no' END, COALESCE(terms_accepted_at, 'not accepted'),
                created_at
         FROM contacts WHERE id = ?1",
        id,
        &["name", "e-mail", "company", "state", "invited", "terms accepted", "created"],
        &[],
    )?;
    let identities = section(
        conn,
        "login identities",
        "SELECT provider, subject, created_at FROM contact_identities WHERE contact_id = ?1 ORDER BY id",
        id,
    )?;
    let jobs = section(
        conn,
        "jobs",
        "SELECT '#' || id, state, title, size_bytes || ' bytes', via, created_at
         FROM shop_jobs WHERE contact_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 20",
        id,
    )?;
    Ok(detail(format!("contact {id}"), f, vec![identities, jobs]))
}

pub fn pos_folder(conn: &Connection, id: i64) -> rusqlite::Result<Option<Detail>> {
    let f = fields(
        conn,
        "SELECT code, administrator, db_kind, db_host, db_port, db_name, db_user, db_password,
                ftp_mode, ftp_share, ftp_address, ftp_user, ftp_password, ws_url,
                sync_wait_ms || ' ms', created_at
         FROM pos_folders WHERE id = ?1",
        id,
        &[
            "folder",
            "administrator",
            "db kind",
            "db host",
            "db port",
            "database",
            "db user",
            "db password",
            "ftp mode",
            "share folder",
            "ftp address",
            "ftp user",
            "ftp password",
            "web service",
            "wait between syncs",
            "created",
        ],
        &["db password", "ftp password"],
    )?;
    let tables = section(
        conn,
        "sync tables",
        "SELECT table_name, sync_type, CASE direction WHEN 'server_to_till' THEN 'server → till' ELSE 'till → server' END FROM sync_tables
         WHERE folder_id = ?1 ORDER BY table_name, direction",
        id,
    )?;
    let processes = section(
        conn,
        "processes",
        "SELECT kind, 'every ' || schedule_secs || ' s', CASE enabled WHEN 1 THEN 'enabled' ELSE 'disabled' END,
                confirm_mode, last_run_at, last_outcome, last_message
         FROM sync_processes WHERE folder_id = ?1 ORDER BY kind",
        id,
    )?;
    let tests = section(
        conn,
        "connection tests",
        "SELECT target, CASE ok WHEN 1 THEN 'ok' ELSE 'failed' END, verdict, elapsed_ms || ' ms', tested_at
         FROM connection_tests WHERE folder_id = ?1 ORDER BY tested_at DESC, id DESC LIMIT 6",
        id,
    )?;
    Ok(detail(
        format!("POS folder {id}"),
        f,
        vec![tables, processes, tests],
    ))
}

pub fn sync_table(conn: &Connection, id: i64) -> rusqlite::Result<Option<Detail>> {
    let f = fields(
        conn,
        "SELECT f.code, t.table_name, t.sync_type, CASE t.direction WHEN 'server_to_till' THEN 'server → till' ELSE 'till → server' END
         FROM sync_tables t JOIN pos_folders f ON f.id = t.folder_id WHERE t.id = ?1",
        id,
        &["folder", "table", "sync type", "direction"],
        &[],
    )?;
    let runs = section(
        conn,
        "latest runs of the folder",
        "SELECT r.process, r.started_at, r.outcome, r.rows || ' rows', r.message
         FROM sync_runs r JOIN sync_tables t ON t.folder_id = r.folder_id
         WHERE t.id = ?1 ORDER BY r.started_at DESC, r.id DESC LIMIT 10",
        id,
    )?;
    Ok(detail(format!("sync table {id}"), f, vec![runs]))
}
