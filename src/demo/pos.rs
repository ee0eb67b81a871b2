//! Demo rows of the pos area.

use rusqlite::Connection;

pub fn seed(_conn: &Connection) -> anyhow::Result<()> {
    Ok(())
}
