//! Demo rows of the printing area.

use rusqlite::Connection;

pub fn seed(_conn: &Connection) -> anyhow::Result<()> {
    Ok(())
}
