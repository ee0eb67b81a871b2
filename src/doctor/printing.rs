//! Printing checks: the switch, the default printer, each printer's reachability, failed,
//! unconfirmed and stuck jobs, and whether a worker runs.

use rusqlite::Connection;

use super::{Area, Finding, PROBE_TIMEOUT, Severity, Subject, blocking, open_read};
use crate::printing::Printer;

/// What the store says about printing, read in one go.
struct Facts {
    enabled: bool,
    printers: Vec<Printer>,
    failed: i64,
    unconfirmed: i64,
    stuck: Vec<i64>,
    due: i64,
    /// Documents of the last 7 days that hold characters no font has.
    boxed_documents: i64,
    worker: Option<String>,
}

pub async fn check(subject: &Subject) -> Vec<Finding> {
    let s = subject.clone();
    let facts = match blocking(move || read(&s)).await {
        Some(Ok(f)) => f,
        Some(Err(f)) => return vec![*f],
        None => return Vec::new(),
    };
    let mut out = Vec::new();
    if !facts.enabled {
        out.push(Finding::new(
            "printing_disabled",
            Severity::Warning,
            Area::Printing,
            "printing is switched off for this store: events queue no job",
            "printing_enabled = false",
            "backroom printers enable (admin), or the printers pane",
        ));
    } else {
        out.push(Finding::ok(
            "printing_disabled",
            Area::Printing,
            "printing is on",
        ));
    }
    let default = facts.printers.iter().find(|p| p.is_default);
    match default {
        None if facts.enabled => out.push(Finding::new(
            "no_default_printer",
            Severity::Problem,
            Area::Printing,
            "no default printer: jobs of triggers without a printer fail",
            format!(
                "{} printer(s) configured, none is the default",
                facts.printers.len()
            ),
            if facts.printers.is_empty() {
                "add one: backroom printers add NAME --provider ipp --target ipp://HOST/ipp/print"
                    .to_string()
            } else {
                "backroom printers set-default NAME".to_string()
            },
        )),
        None => {}
        Some(p) => out.push(Finding::ok(
            "no_default_printer",
            Area::Printing,
            format!("default printer: {}", p.name),
        )),
    }
    let probes = facts
        .printers
        .iter()
        .filter(|p| p.enabled)
        .map(|p| async move {
            match tokio::time::timeout(PROBE_TIMEOUT, crate::printing::check::check(p)).await {
                Ok(r) if r.reachable => Finding::ok(
                    "printer_unreachable",
                    Area::Printing,
                    format!("{}: {}", p.name, r.summary()),
                ),
                Ok(r) => unreachable(p, &r.detail),
                Err(_) => unreachable(
                    p,
                    &format!("no answer within {} s", PROBE_TIMEOUT.as_secs()),
                ),
            }
        });
    out.extend(futures::future::join_all(probes).await);
    if facts.failed > 0 {
        out.push(Finding::new(
            "jobs_failed",
            Severity::Warning,
            Area::Printing,
            format!("{} print job(s) failed and wait for a decision", facts.failed),
            format!("{} job(s) in state failed", facts.failed),
            "read their errors (backroom jobs list --state failed), fix the printer, then backroom jobs reschedule --state failed",
        ));
    }
    if facts.unconfirmed > 0 {
        out.push(Finding::new(
            "jobs_unconfirmed",
            Severity::Problem,
            Area::Printing,
            format!(
                "{} print job(s) may or may not have printed: a person must decide",
                facts.unconfirmed
            ),
            format!("{} job(s) in state unconfirmed", facts.unconfirmed),
            "look at the printer's output, then backroom jobs confirm ID --printed (it came out) or --reprint",
        ));
    }
    if !facts.stuck.is_empty() {
        let ids: Vec<String> = facts.stuck.iter().take(10).map(i64::to_string).collect();
        out.push(Finding::new(
            "queue_stuck",
            Severity::Problem,
            Area::Printing,
            format!(
                "{} print job(s) are still sending after their lease ran out or their worker died",
                facts.stuck.len()
            ),
            format!("jobs {}", ids.join(", ")),
            "start a worker (backroom worker, or the daemon): it takes the jobs over and asks the printer",
        ));
    }
    out.push(fonts(facts.boxed_documents));
    if facts.due > 0 && facts.worker.is_none() {
        out.push(Finding::new(
            "worker_not_running",
            Severity::Problem,
            Area::Printing,
            format!("{} print job(s) are due and no worker runs", facts.due),
            "no live worker lease in the database",
            "start the daemon (systemctl start backroom) or `backroom worker`, or open the TUI",
        ));
    } else {
        out.push(Finding::ok(
            "worker_not_running",
            Area::Printing,
            match &facts.worker {
                Some(h) => format!("worker running: {h}"),
                None => "no worker, and nothing is due".to_string(),
            },
        ));
    }
    out
}

/// CJK prints only through an installed font; documents that came out with boxes say so.
fn fonts(boxed_documents: i64) -> Finding {
    let missing = crate::printing::document::scripts_without_font();
    if missing.is_empty() && boxed_documents == 0 {
        return Finding::ok(
            "missing_fonts",
            Area::Printing,
            "every script has a font (Japanese, Chinese and Korean through a system font)",
        );
    }
    let mut evidence = Vec::new();
    if !missing.is_empty() {
        evidence.push(format!(
            "no installed font has {} characters",
            missing.join(", ")
        ));
    }
    if boxed_documents > 0 {
        evidence.push(format!(
            "{boxed_documents} document(s) of the last 7 days hold characters no font has (their jobs carry a warning)"
        ));
    }
    Finding::new(
        "missing_fonts",
        Severity::Warning,
        Area::Printing,
        "some characters print as empty boxes on documents",
        evidence.join("; "),
        "install a font that has them (apt-get install fonts-noto-cjk for Japanese, Chinese and Korean), then reprint the jobs concerned",
    )
}

fn unreachable(p: &Printer, detail: &str) -> Finding {
    let f = Finding::new(
        "printer_unreachable",
        Severity::Problem,
        Area::Printing,
        format!("printer {} does not answer", p.name),
        format!("{} ({}): {detail}", p.target, p.provider.as_str()),
        format!(
            "is {} switched on and on the network? Check the address with backroom printers check {}",
            p.name, p.name
        ),
    );
    f.about(format!("printer:{}", p.name))
}

fn read(subject: &Subject) -> Result<Facts, Box<Finding>> {
    let conn = open_read(subject, Area::Printing)?;
    read_facts(&conn).map_err(|e| {
        Box::new(Finding::new(
            "database_unreadable",
            Severity::Problem,
            Area::Printing,
            "the print queue cannot be read",
            e.to_string(),
            "run backroom doctor --area store",
        ))
    })
}

fn read_facts(conn: &Connection) -> rusqlite::Result<Facts> {
    let now = crate::store::now();
    let count = |sql: &str| -> rusqlite::Result<i64> { conn.query_row(sql, [], |r| r.get(0)) };
    // Sending past their lease, or held by a process of this host that is gone.
    let mut stuck_stmt = conn.prepare(
        "SELECT id, lease_holder, lease_expires_at < ?1 FROM print_jobs WHERE state = 'sending' ORDER BY id LIMIT 1000",
    )?;
    let stuck = stuck_stmt
        .query_map([&now], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<bool>>(2)?,
            ))
        })?
        .filter_map(|row| match row {
            Ok((id, holder, expired)) => {
                let dead = holder
                    .as_deref()
                    .is_some_and(crate::worker::lease::holder_is_dead);
                (expired.unwrap_or(true) || dead).then_some(Ok(id))
            }
            Err(e) => Some(Err(e)),
        })
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    let week_ago = crate::store::to_text(chrono::Utc::now() - chrono::Duration::days(7));
    Ok(Facts {
        enabled: crate::store::printers::printing_enabled(conn)?,
        printers: crate::store::printers::list(conn)?,
        failed: count("SELECT COUNT(*) FROM print_jobs WHERE state = 'failed'")?,
        unconfirmed: count("SELECT COUNT(*) FROM print_jobs WHERE state = 'unconfirmed'")?,
        stuck,
        due: conn.query_row(
            "SELECT COUNT(*) FROM print_jobs WHERE state = 'pending' AND next_attempt_at <= ?1",
            [&now],
            |r| r.get(0),
        )?,
        worker: crate::worker::lease::holder(conn)?,
        boxed_documents: conn.query_row(
            "SELECT COUNT(*) FROM documents WHERE warning IS NOT NULL AND created_at > ?1",
            [&week_ago],
            |r| r.get(0),
        )?,
    })
}
