//! `backroom --demo`: a separate database filled with realistic rows in every pane.

pub mod contacts;
pub mod pos;
pub mod printing;
pub mod sync;

use rusqlite::Connection;

/// Fills an empty demo database; does nothing when it already holds rows.
pub fn seed(conn: &mut Connection) -> anyhow::Result<()> {
    let seeded = crate::store::settings::get(conn, "demo.seeded")?.is_some();
    if seeded {
        return Ok(());
    }
    let tx = conn.transaction()?;
    printing::seed(&tx)?;
    contacts::seed(&tx)?;
    pos::seed(&tx)?;
    sync::seed(&tx)?;
    crate::store::settings::set(&tx, "demo.seeded", &crate::store::now())?;
    tx.commit()?;
    Ok(())
}
