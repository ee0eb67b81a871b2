//! Demo rows of the contacts area.

use rusqlite::Connection;

pub fn seed(_conn: &Connection) -> anyhow::Result<()> {
    Ok(())
}
