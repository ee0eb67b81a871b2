//! `backroom --demo`: a separate database filled with realistic rows in every pane.

pub mod contacts;
pub mod pos;
pub mod printing;
pub mod sync;

use rusqlite::Connection;

/// Gives the demo a signing key of its own (next to the demo database, created once) when the
/// config names none, and makes the demo till trust it: the demo's exports and imports are signed.
pub fn signing(
    config: &mut crate::config::Config,
    demo_db: &std::path::Path,
) -> anyhow::Result<()> {
    if config.server.signing_key.is_some() {
        return Ok(());
    }
    let key = demo_db.with_file_name("demo-signing.key");
    if !key.exists() {
        if let Some(dir) = key.parent() {
            // Owner-only, as the store's own folder: the demo's files are a store's files.
            crate::private_files::create_dir(dir)?;
        }
        crate::sync::sign::keygen(&key)?;
    }
    let public = crate::sync::sign::Signer::load(&key)?.public();
    config.server.signing_key = Some(key);
    if config.till.server_public_key.is_none() {
        config.till.server_public_key = Some(public);
    }
    Ok(())
}

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
