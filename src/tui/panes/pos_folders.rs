//! The POS folders pane: each folder's four tabs (edited in a form, secrets masked), and the
//! connection tests the worker runs for it, with their verdicts.

use rusqlite::Connection;

use crate::pos::conntest::Target;
use crate::pos::field::{Field, Tab};
use crate::pos::{FolderForm, PosFolder};
use crate::store::pos as store;
use crate::worker::Notification;
use crate::worker::pos::{Command as PosCommand, Notification as PosNotification};

use super::{Needs, Notice, RowAction, Selection};
use crate::tui::effect::Effect;
use crate::tui::popups::{self, Form, FormValues};
use crate::tui::strings::pos as s;

/// Row actions of the POS folders pane.
pub static ACTIONS: &[RowAction] = &[
    RowAction {
        name: "add",
        description: s::ADD,
        policy: "pos.folders.add",
        needs: Needs::Nothing,
        run: add,
    },
    RowAction {
        name: "edit",
        description: s::EDIT,
        policy: "pos.folders.set",
        needs: Needs::Row,
        run: edit,
    },
    RowAction {
        name: "test_db",
        description: s::TEST_DB,
        policy: "pos.test-db",
        needs: Needs::Row,
        run: test_db,
    },
    RowAction {
        name: "test_ftp",
        description: s::TEST_FTP,
        policy: "pos.test-ftp",
        needs: Needs::Row,
        run: test_ftp,
    },
    RowAction {
        name: "test_ws",
        description: s::TEST_WS,
        policy: "pos.test-ws",
        needs: Needs::Row,
        run: test_ws,
    },
    RowAction {
        name: "test_all",
        description: s::TEST_ALL,
        policy: "pos.test",
        needs: Needs::Row,
        run: test_all,
    },
    RowAction {
        name: "processes",
        description: s::PROCESSES,
        policy: "sync.processes.set",
        needs: Needs::Row,
        run: processes,
    },
    RowAction {
        name: "remove",
        description: s::REMOVE,
        policy: "pos.folders.remove",
        needs: Needs::Row,
        run: remove,
    },
];

/// Folders whose last test of a connection failed, then how to test.
pub fn notices(conn: &Connection) -> rusqlite::Result<Vec<Notice>> {
    let mut out = Vec::new();
    for folder in store::list_folders(conn)? {
        for t in store::last_tests(conn, folder.id)? {
            if !t.verdict.ok {
                out.push(Notice::warning(s::failing(&folder.code, &t)));
            }
        }
    }
    out.push(Notice::info(s::KEYS_NOTICE));
    Ok(out)
}

/// Connection tests: a spinning busy label while one runs, the verdict when it ends.
pub fn on_notification(n: &Notification) -> Option<Effect> {
    let Notification::Pos(n) = n else {
        return None;
    };
    match n {
        PosNotification::TestStarted { target, .. } => Some(Effect::Busy(s::testing(*target))),
        PosNotification::Tested { folder_code, test } => {
            let text = s::tested(folder_code, test);
            let shown = if test.verdict.ok {
                Effect::info(text)
            } else {
                Effect::error(text)
            };
            let idle = Effect::Idle(s::testing(test.verdict.target));
            Some(Effect::All(vec![idle, shown, Effect::Reload]))
        }
        PosNotification::TestError { target, error, .. } => Some(Effect::All(vec![
            Effect::Idle(s::testing(*target)),
            Effect::error(s::test_error(*target, error)),
        ])),
        PosNotification::TablesChecked { .. } => None,
    }
}

/// The key a folder field has in the form.
fn key(field: Field) -> &'static str {
    match field {
        Field::Code => "code",
        Field::Administrator => "administrator",
        Field::DbKind => "db_kind",
        Field::DbHost => "db_host",
        Field::DbPort => "db_port",
        Field::DbName => "db_name",
        Field::DbUser => "db_user",
        Field::DbPassword => "db_password",
        Field::FtpMode => "ftp_mode",
        Field::FtpShare => "ftp_share",
        Field::FtpAddress => "ftp_address",
        Field::FtpUser => "ftp_user",
        Field::FtpPassword => "ftp_password",
        Field::WsUrl => "ws_url",
        Field::SyncWaitMs => "sync_wait_ms",
    }
}

/// Checks one field as typed; the fields it depends on are checked again on saving.
fn check_alone(field: Field, value: &str) -> Result<(), String> {
    let mut form = FolderForm::default();
    form.set(field, value);
    form.check(field).map_err(|e| e.reason)
}

/// The four-tab form, filled from `current` when editing (passwords left empty: kept).
fn folder_form(title: &str, current: Option<&FolderForm>) -> Form {
    let mut form = Form::new(title);
    let initial = current.cloned().unwrap_or_default();
    for tab in Tab::ALL {
        form = form.tab(tab.label());
        for field in tab.fields() {
            let (k, label) = (key(field), field.label());
            let widget = match field {
                Field::DbKind => popups::Field::choice(k, label, &["postgresql", "sqlite"]),
                Field::FtpMode => popups::Field::choice(k, label, &["put", "copy"]),
                f if f.is_secret() => popups::Field::secret(k, label),
                _ => popups::Field::text(k, label),
            };
            let value = if field.is_secret() {
                ""
            } else {
                initial.value(field)
            };
            let hint = if field.is_secret() && current.is_some() {
                s::KEEP_PASSWORD
            } else {
                field.hint()
            };
            let mut widget = widget
                .value(value)
                .hint(hint)
                .validate(move |v| check_alone(field, v));
            if field == Field::Code {
                widget = widget.required();
            }
            form = form.field(widget);
        }
    }
    form
}

/// Writes the submitted values into `form`; empty passwords keep the current ones.
fn apply(form: &mut FolderForm, values: &FormValues) {
    for field in Field::ALL {
        let v = values.get(key(field));
        if field.is_secret() && v.is_empty() {
            continue;
        }
        form.set(field, v);
    }
}

fn validated(form: &FolderForm) -> anyhow::Result<PosFolder> {
    form.to_folder().map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(s::invalid(&lines))
    })
}

fn add(_sel: &Selection<'_>) -> Effect {
    let form = folder_form(s::ADD_TITLE, None).on_submit(|values| {
        let code = values.get(key(Field::Code)).trim().to_string();
        Effect::db(s::saving(&code), move |conn| {
            let mut form = FolderForm::default();
            apply(&mut form, &values);
            let folder = validated(&form)?;
            store::insert_folder(conn, &folder)?;
            tracing::info!(folder = %folder.code, "POS folder added from the TUI");
            Ok(s::added(&folder.code))
        })
    });
    Effect::Form(form)
}

fn edit(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    Effect::db_then(s::EDIT, move |conn, _| {
        let current = store::folder_by_id(conn, id)?
            .ok_or_else(|| anyhow::anyhow!("POS folder #{id} was removed meanwhile"))?;
        let filled = FolderForm::from_folder(&current);
        let form =
            folder_form(&s::edit_title(&current.code), Some(&filled)).on_submit(move |values| {
                Effect::db(s::saving(&current.code), move |conn| {
                    let mut form = FolderForm::from_folder(&current);
                    apply(&mut form, &values);
                    let mut folder = validated(&form)?;
                    folder.id = current.id;
                    store::update_folder(conn, &folder)?;
                    tracing::info!(folder = %folder.code, "POS folder changed from the TUI");
                    Ok(s::saved(&folder.code))
                })
            });
        Ok(Effect::Form(form))
    })
}

fn test(sel: &Selection<'_>, targets: &[Target]) -> Effect {
    let Some(folder_id) = sel.id() else {
        return Effect::None;
    };
    Effect::All(
        targets
            .iter()
            .map(|&target| {
                Effect::Worker(crate::worker::Command::Pos(PosCommand::TestConnection {
                    folder_id,
                    target,
                }))
            })
            .collect(),
    )
}

fn test_db(sel: &Selection<'_>) -> Effect {
    test(sel, &[Target::Db])
}

fn test_ftp(sel: &Selection<'_>) -> Effect {
    test(sel, &[Target::Ftp])
}

fn test_ws(sel: &Selection<'_>) -> Effect {
    test(sel, &[Target::Ws])
}

fn test_all(sel: &Selection<'_>) -> Effect {
    test(sel, &Target::ALL)
}

/// Checks a schedule as typed: whole seconds in the accepted range.
fn check_schedule(v: &str) -> Result<(), String> {
    let range = crate::pos::process::SCHEDULE_SECS;
    match v.trim().parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(()),
        _ => Err(s::bad_schedule(*range.start(), *range.end())),
    }
}

/// A form with one tab per process: schedule, switch, and the confirmation mode of updates.
fn processes(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    let code = sel.cell("code").unwrap_or_default().to_string();
    Effect::db_then(s::PROCESSES, move |conn, _| {
        let procs = store::processes(conn, id)?;
        let mut form = Form::new(&s::processes_title(&code));
        for p in &procs {
            let kind = p.kind.as_str();
            form = form
                .tab(kind)
                .field(
                    popups::Field::text(&format!("{kind}.schedule"), s::SCHEDULE)
                        .value(&p.schedule_secs.to_string())
                        .hint(p.kind.describe())
                        .validate(check_schedule),
                )
                .field(
                    popups::Field::choice(
                        &format!("{kind}.state"),
                        s::STATE,
                        &["enabled", "disabled"],
                    )
                    .value(if p.enabled { "enabled" } else { "disabled" }),
                );
            if let Some(mode) = p.confirm_mode {
                form = form.field(
                    popups::Field::choice(
                        &format!("{kind}.confirm"),
                        s::CONFIRM,
                        &["always", "once", "never"],
                    )
                    .value(mode.as_str())
                    .hint(s::CONFIRM_HINT),
                );
            }
        }
        let form = form.on_submit(move |values| {
            Effect::db(s::PROCESSES, move |conn| {
                let tx = conn.transaction()?;
                for mut p in store::processes(&tx, id)? {
                    let kind = p.kind.as_str();
                    p.schedule_secs = values
                        .get(&format!("{kind}.schedule"))
                        .trim()
                        .parse()
                        .map_err(|_| anyhow::anyhow!("{kind}: bad schedule"))?;
                    p.enabled = values.get(&format!("{kind}.state")) == "enabled";
                    if p.confirm_mode.is_some() {
                        let mode: crate::pos::ConfirmMode = values
                            .get(&format!("{kind}.confirm"))
                            .parse()
                            .map_err(anyhow::Error::msg)?;
                        p.confirm_mode = Some(mode);
                    }
                    store::update_process(&tx, &p)?;
                }
                tx.commit()?;
                Ok(s::processes_saved(&code))
            })
        });
        Ok(Effect::Form(form))
    })
}

fn remove(sel: &Selection<'_>) -> Effect {
    let Some(id) = sel.id() else {
        return Effect::None;
    };
    let code = sel.cell("code").unwrap_or_default().to_string();
    let done = code.clone();
    Effect::confirm(
        s::REMOVE,
        s::remove_lines(&code),
        s::remove_confirm(&code),
        Effect::db(s::REMOVE, move |conn| {
            store::delete_folder(conn, id)?;
            tracing::info!(folder = %done, "POS folder removed from the TUI");
            Ok(s::removed(&done))
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_folder_field_has_a_form_key_and_a_live_check() {
        let form = folder_form("t", None);
        for f in Field::ALL {
            assert!(form.get(key(f)).is_some(), "{f:?}");
        }
        assert!(
            check_alone(Field::DbPort, "70000")
                .unwrap_err()
                .contains("out of range")
        );
        assert!(
            check_alone(Field::FtpAddress, "ftp://h{}")
                .unwrap_err()
                .contains("empty target")
        );
        assert!(
            check_alone(Field::SyncWaitMs, "-1")
                .unwrap_err()
                .contains("negative")
        );
        assert!(check_alone(Field::DbPort, "").is_ok());
    }

    #[test]
    fn an_empty_password_keeps_the_current_one() {
        let mut current = FolderForm::new("S1");
        current.set(Field::FtpPassword, "kept-secret");
        let mut values = FormValues::default();
        values.0.insert("code".into(), "S1".into());
        values.0.insert("ftp_password".into(), String::new());
        values.0.insert("sync_wait_ms".into(), "100".into());
        values.0.insert("db_kind".into(), "postgresql".into());
        values.0.insert("ftp_mode".into(), "put".into());
        apply(&mut current, &values);
        assert_eq!(current.value(Field::FtpPassword), "kept-secret");
        assert_eq!(current.value(Field::SyncWaitMs), "100");
    }
}
