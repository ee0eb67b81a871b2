//! Queries of the contacts area: contacts, identities, activation tokens, shop jobs and terms.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::collation;
use crate::contacts::{Contact, ContactState, ShopJob};

const CONTACT_COLUMNS: &str =
    "id, name, email, company, state, invited, terms_accepted_at, created_at";

fn contact_from_row(r: &Row<'_>) -> rusqlite::Result<Contact> {
    let state: String = r.get(4)?;
    Ok(Contact {
        id: r.get(0)?,
        name: r.get(1)?,
        email: r.get(2)?,
        company: r.get(3)?,
        state: ContactState::parse(&state).ok_or_else(|| {
            rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Text,
                format!("unknown contact state {state:?}").into(),
            )
        })?,
        invited: r.get(5)?,
        terms_accepted_at: r.get(6)?,
        created_at: r.get(7)?,
    })
}

/// Every contact, by name (Unicode order) then as added.
pub fn list(conn: &Connection) -> rusqlite::Result<Vec<Contact>> {
    let mut out = Vec::new();
    each(conn, None, &Default::default(), None, &mut |c| {
        out.push(c);
        true
    })?;
    Ok(out)
}

/// The condition of a contacts list: a state and the TUI's filter language.
fn condition(
    state: Option<ContactState>,
    query: &crate::store::views::Filter,
) -> (String, Vec<rusqlite::types::Value>) {
    let (cond, mut values) = query.sql(&crate::store::views::CONTACTS);
    match state {
        Some(s) => {
            values.insert(0, rusqlite::types::Value::Text(s.as_str().to_string()));
            (format!("c.state = ? AND ({cond})"), values)
        }
        None => (cond, values),
    }
}

/// Visits contacts by name (Unicode order), then as added (`id`, as the Contacts pane orders them),
/// one at a time, while `visit` says so.
pub fn each(
    conn: &Connection,
    state: Option<ContactState>,
    query: &crate::store::views::Filter,
    limit: Option<usize>,
    visit: &mut dyn FnMut(Contact) -> bool,
) -> rusqlite::Result<()> {
    let (cond, values) = condition(state, query);
    let mut stmt = conn.prepare_cached(&each_sql(&cond, limit))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
    while let Some(r) = rows.next()? {
        if !visit(contact_from_row(r)?) {
            break;
        }
    }
    Ok(())
}

/// The query of [`each`]. The name index gives its order for any limit: ordered by name then
/// e-mail, SQLite read and sorted every contact for a limit under 5 (`contacts list --limit 1`
/// took 80–120 ms of 100,000 contacts, `--limit 5` 10 ms).
fn each_sql(cond: &str, limit: Option<usize>) -> String {
    let limit = limit.map(|l| l as i64).unwrap_or(-1);
    format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts c WHERE {cond}
         ORDER BY unicode_key(c.name), c.id LIMIT {limit}"
    )
}

/// How many contacts a list keeps (kept counts when they answer, else counted up to a cap).
pub fn count_listed(
    conn: &Connection,
    state: Option<ContactState>,
    query: &crate::store::views::Filter,
) -> rusqlite::Result<crate::store::counts::Count> {
    use crate::store::counts::{self, Count};
    if query.is_empty() {
        let name = match state {
            Some(s) => format!("contacts.{}", s.as_str()),
            None => "contacts".to_string(),
        };
        return Ok(Count::exact(counts::kept_or_zero(conn, &name)?));
    }
    let (cond, values) = condition(state, query);
    counts::capped(conn, "contacts c", &cond, values)
}

/// The contact with this e-mail, compared without case by Unicode's rules (as the import and the
/// store's uniqueness triggers compare addresses), found through the e-mail index.
pub fn by_email(conn: &Connection, email: &str) -> rusqlite::Result<Option<Contact>> {
    let (cond, values) = email_is("", email);
    conn.query_row(
        &format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE {cond}"),
        rusqlite::params_from_iter(values),
        contact_from_row,
    )
    .optional()
}

/// The condition that a contact's address is `email` once both are folded, sought through the
/// e-mail index (`prefix`: the table's alias and a dot, or nothing), and its two values.
pub fn email_is(prefix: &str, email: &str) -> (String, [rusqlite::types::Value; 2]) {
    use rusqlite::types::Value;
    let folded = fold_email(email);
    let values = [
        Value::Integer(collation::folded_email_key(&folded)),
        Value::Text(folded),
    ];
    let cond = format!(
        "{prefix}email_key = ? AND {}({prefix}email) = ?",
        collation::LOWER_FN
    );
    (cond, values)
}

/// An e-mail folded as every duplicate check folds it: lower case by Unicode's rules, as
/// `str::to_lowercase` gives it.
pub fn fold_email(email: &str) -> String {
    let mut folded = String::with_capacity(email.len());
    fold_email_into(email, &mut folded);
    folded
}

/// [`fold_email`] into `out` (emptied first). Stretches of ASCII are copied and folded at once,
/// only other letters go through Unicode's tables: `str::to_lowercase` goes letter by letter
/// from the first one that is not ASCII, and took a fifth of an import's parsing when names
/// with accents start the addresses (`élodie.dupont@…`).
pub fn fold_email_into(email: &str, out: &mut String) {
    out.clear();
    // `Σ` folds by its place in a word: left to the standard library.
    if email.contains('Σ') {
        out.push_str(&email.to_lowercase());
        return;
    }
    let mut rest = email;
    while !rest.is_empty() {
        let ascii = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let start = out.len();
        out.push_str(&rest[..ascii]);
        out[start..].make_ascii_lowercase();
        rest = &rest[ascii..];
        if let Some(c) = rest.chars().next() {
            out.extend(c.to_lowercase());
            rest = &rest[c.len_utf8()..];
        }
    }
}

pub fn by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Contact>> {
    conn.query_row(
        &format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?1"),
        [id],
        contact_from_row,
    )
    .optional()
}

/// Inserts a `not registered` contact; the store's triggers refuse a duplicate e-mail.
pub fn insert(
    conn: &Connection,
    name: &str,
    email: &str,
    company: Option<&str>,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO contacts (name, email, company, email_key, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            name,
            email,
            company,
            collation::email_key(email),
            super::now()
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Pairs of contacts (first id, later id) whose addresses are the same once folded by
/// [`fold_email`]. The store refuses such a pair since the e-mail key replaced the `NOCASE` index,
/// which folded ASCII only; a store that held one before keeps it. Pairs share an e-mail key, so
/// only the keys held twice are read (a covering scan of the e-mail index).
pub fn unicode_case_duplicates(conn: &Connection) -> rusqlite::Result<Vec<(i64, i64)>> {
    let rows: Vec<(i64, String, i64)> = conn
        .prepare(
            "SELECT id, email, email_key FROM contacts WHERE email_key IN
                 (SELECT email_key FROM contacts GROUP BY email_key HAVING count(*) > 1)
             ORDER BY email_key, id",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    // Within one key, each later contact is compared with the first of its folded address.
    let mut pairs = Vec::new();
    let mut first: Vec<(String, i64)> = Vec::new();
    let mut key = None;
    for (id, email, email_key) in rows {
        if key != Some(email_key) {
            first.clear();
            key = Some(email_key);
        }
        let folded = fold_email(&email);
        match first.iter().find(|(f, _)| *f == folded) {
            Some((_, first_id)) => pairs.push((*first_id, id)),
            None => first.push((folded, id)),
        }
    }
    Ok(pairs)
}

/// The e-mail index (as in `schema/contacts_email_key.sql`), dropped and rebuilt by large imports.
pub const CREATE_EMAIL_INDEX: &str = "CREATE INDEX contacts_email ON contacts (email_key)";

/// The indexes and triggers of `contacts` (the e-mail index and the triggers that keep addresses
/// unique among them), as SQL.
#[derive(Debug, Default)]
pub struct Secondary {
    sql: Vec<String>,
}

/// Drops the indexes and triggers of `contacts` before a large load: building an index once at
/// the end is much cheaper than growing it row by row (the name indexes compute a Unicode
/// sort key per row). Partial indexes stay: the ones on `contacts` leave out `not_registered`, the
/// state every loaded contact has, so a load only checks their condition per row (rebuilding one
/// would read the whole table). Must run inside the load's transaction, with
/// [`restore_secondary`] after.
pub fn drop_secondary(conn: &Connection) -> rusqlite::Result<Secondary> {
    let objects: Vec<(String, String, String)> = conn
        .prepare(
            "SELECT type, name, sql FROM sqlite_schema WHERE tbl_name = 'contacts'
             AND type IN ('index', 'trigger') AND sql IS NOT NULL
             AND NOT (type = 'index' AND name IN
                 (SELECT name FROM pragma_index_list('contacts') WHERE partial))",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut secondary = Secondary::default();
    for (kind, name, sql) in objects {
        conn.execute_batch(&format!("DROP {kind} \"{}\"", name.replace('"', "\"\"")))?;
        secondary.sql.push(sql);
    }
    Ok(secondary)
}

/// Creates again what [`drop_secondary`] dropped and adds the `loaded` contacts (all
/// `not_registered`) to the counts the dropped triggers keep. The indexes on names are built
/// last, with the sort keys `keys` gives when it has them (computed ahead for the loaded rows, see
/// [`collation::KeysAhead`]). The uniqueness triggers check rows as they are inserted, not the
/// rows already there when they are created again: the caller must have checked the loaded
/// addresses against each other and against the stored ones, within the transaction.
pub fn restore_secondary(
    conn: &Connection,
    secondary: Secondary,
    loaded: u64,
    keys: impl FnOnce() -> Option<collation::KeysAhead>,
) -> rusqlite::Result<()> {
    let (by_key, plain): (Vec<&String>, Vec<&String>) = secondary
        .sql
        .iter()
        .partition(|sql| sql.contains(collation::KEY_FN));
    for sql in plain {
        conn.execute_batch(sql)?;
    }
    if !by_key.is_empty() {
        let ahead = keys().map(|k| std::sync::Arc::new(std::sync::Mutex::new(k)));
        if let Some(ahead) = &ahead {
            collation::answer_from(conn, ahead.clone())?;
        }
        let built = by_key.iter().try_for_each(|sql| conn.execute_batch(sql));
        if ahead.is_some() {
            collation::register(conn)?;
        }
        built?;
    }
    conn.execute(
        "INSERT INTO row_counts (name, n) VALUES ('contacts', ?1), ('contacts.not_registered', ?1)
             ON CONFLICT (name) DO UPDATE SET n = n + excluded.n",
        [loaded as i64],
    )?;
    Ok(())
}

pub fn count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM contacts", [], |r| r.get(0))
}

/// Every e-mail in the store, folded as [`fold_email`] folds them (the import's duplicate checks:
/// SQLite's `lower` folds ASCII only, so an address already stored with other capitals was not
/// found and the import failed on the unique index with a raw database error).
pub fn lowercase_emails(conn: &Connection) -> rusqlite::Result<foldhash::HashSet<String>> {
    let mut stmt = conn.prepare("SELECT email FROM contacts")?;
    let mut rows = stmt.query([])?;
    let mut out = foldhash::HashSet::default();
    while let Some(r) = rows.next()? {
        out.insert(fold_email(r.get_ref(0)?.as_str()?));
    }
    Ok(out)
}

pub fn set_state(conn: &Connection, id: i64, state: ContactState) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE contacts SET state = ?2 WHERE id = ?1",
        params![id, state.as_str()],
    )?;
    Ok(())
}

pub fn set_invited(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.execute("UPDATE contacts SET invited = 1 WHERE id = ?1", [id])?;
    Ok(())
}

pub fn accept_terms(conn: &Connection, id: i64, at: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE contacts SET terms_accepted_at = ?2 WHERE id = ?1",
        params![id, at],
    )?;
    Ok(())
}

/// Clears every contact's terms acceptance date; returns how many were reset.
pub fn reset_terms_acceptances(conn: &Connection) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE contacts SET terms_accepted_at = NULL WHERE terms_accepted_at IS NOT NULL",
        [],
    )
}

pub fn delete_contact(conn: &Connection, id: i64) -> rusqlite::Result<()> {
    conn.execute("DELETE FROM contacts WHERE id = ?1", [id])?;
    Ok(())
}

/// A login identity of a contact.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Identity {
    pub provider: String,
    pub subject: String,
    pub created_at: String,
}

pub fn identities(conn: &Connection, contact_id: i64) -> rusqlite::Result<Vec<Identity>> {
    let mut stmt = conn.prepare(
        "SELECT provider, subject, created_at FROM contact_identities
         WHERE contact_id = ?1 ORDER BY id",
    )?;
    stmt.query_map([contact_id], |r| {
        Ok(Identity {
            provider: r.get(0)?,
            subject: r.get(1)?,
            created_at: r.get(2)?,
        })
    })?
    .collect()
}

pub fn insert_identity(
    conn: &Connection,
    contact_id: i64,
    provider: &str,
    subject: &str,
    secret_hash: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO contact_identities (contact_id, provider, subject, secret_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![contact_id, provider, subject, secret_hash, super::now()],
    )?;
    Ok(())
}

/// The contact whose identity holds this access-key hash.
pub fn contact_by_secret(conn: &Connection, secret_hash: &str) -> rusqlite::Result<Option<i64>> {
    conn.query_row(
        "SELECT contact_id FROM contact_identities WHERE secret_hash = ?1",
        [secret_hash],
        |r| r.get(0),
    )
    .optional()
}

pub fn delete_identities(conn: &Connection, contact_id: i64) -> rusqlite::Result<usize> {
    conn.execute(
        "DELETE FROM contact_identities WHERE contact_id = ?1",
        [contact_id],
    )
}

/// A stored activation token (its hash only).
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub contact_id: i64,
    pub purpose: String,
    pub expires_at: String,
    pub used_at: Option<String>,
    /// When a newer link for the same contact replaced this unused one.
    pub revoked_at: Option<String>,
}

/// Stores a token, revoking the contact's earlier unused ones (only the newest link works).
pub fn insert_token(
    conn: &Connection,
    contact_id: i64,
    purpose: &str,
    token_hash: &str,
    expires_at: &str,
) -> rusqlite::Result<()> {
    let now = super::now();
    conn.execute(
        "UPDATE activation_tokens SET revoked_at = ?2
         WHERE contact_id = ?1 AND used_at IS NULL AND revoked_at IS NULL",
        params![contact_id, now],
    )?;
    conn.execute(
        "INSERT INTO activation_tokens (contact_id, purpose, token_hash, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![contact_id, purpose, token_hash, expires_at, now],
    )?;
    Ok(())
}

pub fn token_by_hash(conn: &Connection, token_hash: &str) -> rusqlite::Result<Option<TokenRow>> {
    conn.query_row(
        "SELECT id, contact_id, purpose, expires_at, used_at, revoked_at FROM activation_tokens
         WHERE token_hash = ?1",
        [token_hash],
        |r| {
            Ok(TokenRow {
                id: r.get(0)?,
                contact_id: r.get(1)?,
                purpose: r.get(2)?,
                expires_at: r.get(3)?,
                used_at: r.get(4)?,
                revoked_at: r.get(5)?,
            })
        },
    )
    .optional()
}

/// Marks a token used; returns false when another request used it first.
pub fn use_token(conn: &Connection, id: i64, at: &str) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE activation_tokens SET used_at = ?2 WHERE id = ?1 AND used_at IS NULL",
        params![id, at],
    )?;
    Ok(n == 1)
}

const JOB_COLUMNS: &str = "id, contact_id, title, state, input_path, input_name, pdl_model, \
     support_path, support_name, size_bytes, via, submitter, created_at";

fn job_from_row(r: &Row<'_>) -> rusqlite::Result<ShopJob> {
    Ok(ShopJob {
        id: r.get(0)?,
        contact_id: r.get(1)?,
        title: r.get(2)?,
        state: r.get(3)?,
        input_path: r.get(4)?,
        input_name: r.get(5)?,
        pdl_model: r.get(6)?,
        support_path: r.get(7)?,
        support_name: r.get(8)?,
        size_bytes: r.get(9)?,
        via: r.get(10)?,
        submitter: r.get(11)?,
        created_at: r.get(12)?,
    })
}

pub fn jobs_of(conn: &Connection, contact_id: i64) -> rusqlite::Result<Vec<ShopJob>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {JOB_COLUMNS} FROM shop_jobs WHERE contact_id = ?1 ORDER BY id"
    ))?;
    stmt.query_map([contact_id], job_from_row)?.collect()
}

pub fn job_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<ShopJob>> {
    conn.query_row(
        &format!("SELECT {JOB_COLUMNS} FROM shop_jobs WHERE id = ?1"),
        [id],
        job_from_row,
    )
    .optional()
}

/// A job before it has an id.
#[derive(Debug, Clone, Default)]
pub struct NewJob<'a> {
    pub contact_id: Option<i64>,
    pub title: &'a str,
    pub state: &'a str,
    pub input_path: Option<&'a str>,
    pub input_name: Option<&'a str>,
    pub pdl_model: Option<&'a str>,
    pub support_path: Option<&'a str>,
    pub support_name: Option<&'a str>,
    pub size_bytes: i64,
    pub via: &'a str,
    pub submitter: Option<&'a str>,
    pub created_at: Option<&'a str>,
}

pub fn insert_job(conn: &Connection, job: &NewJob<'_>) -> rusqlite::Result<i64> {
    let created = job
        .created_at
        .map(str::to_string)
        .unwrap_or_else(super::now);
    conn.execute(
        "INSERT INTO shop_jobs (contact_id, title, state, input_path, input_name, pdl_model,
             support_path, support_name, size_bytes, via, submitter, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            job.contact_id,
            job.title,
            job.state,
            job.input_path,
            job.input_name,
            job.pdl_model,
            job.support_path,
            job.support_name,
            job.size_bytes,
            job.via,
            job.submitter,
            created
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn set_job_input(
    conn: &Connection,
    id: i64,
    path: &str,
    name: &str,
    size: i64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE shop_jobs SET input_path = ?2, input_name = ?3, size_bytes = ?4 WHERE id = ?1",
        params![id, path, name, size],
    )?;
    Ok(())
}

pub fn set_job_support(conn: &Connection, id: i64, path: &str, name: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE shop_jobs SET support_path = ?2, support_name = ?3 WHERE id = ?1",
        params![id, path, name],
    )?;
    Ok(())
}

pub fn set_job_model(conn: &Connection, id: i64, model_json: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE shop_jobs SET pdl_model = ?2 WHERE id = ?1",
        params![id, model_json],
    )?;
    Ok(())
}

pub fn set_job_state(conn: &Connection, id: i64, state: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE shop_jobs SET state = ?2 WHERE id = ?1",
        params![id, state],
    )?;
    Ok(())
}

pub fn delete_jobs_of(conn: &Connection, contact_id: i64) -> rusqlite::Result<usize> {
    conn.execute("DELETE FROM shop_jobs WHERE contact_id = ?1", [contact_id])
}

/// Jobs and bytes submitted through `via` since `since` (RFC 3339).
pub fn usage_since(conn: &Connection, via: &str, since: &str) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(
        "SELECT count(*), coalesce(sum(size_bytes), 0) FROM shop_jobs
         WHERE via = ?1 AND created_at >= ?2",
        params![via, since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// Jobs and bytes a contact submitted through the integration link since `since`.
pub fn contact_usage_since(
    conn: &Connection,
    contact_id: i64,
    since: &str,
) -> rusqlite::Result<(i64, i64)> {
    conn.query_row(
        "SELECT count(*), coalesce(sum(size_bytes), 0) FROM shop_jobs
         WHERE contact_id = ?1 AND via = 'integration' AND created_at >= ?2",
        params![contact_id, since],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// The current terms of service.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Terms {
    pub id: i64,
    pub file_name: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

pub fn insert_terms(
    conn: &Connection,
    file_name: &str,
    content: &[u8],
    sha256: &str,
    uploaded_by: &str,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO terms (file_name, content, sha256, uploaded_by, uploaded_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![file_name, content, sha256, uploaded_by, super::now()],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn current_terms(conn: &Connection) -> rusqlite::Result<Option<Terms>> {
    conn.query_row(
        "SELECT id, file_name, sha256, length(content), uploaded_by, uploaded_at FROM terms
         ORDER BY id DESC LIMIT 1",
        [],
        |r| {
            Ok(Terms {
                id: r.get(0)?,
                file_name: r.get(1)?,
                sha256: r.get(2)?,
                size_bytes: r.get(3)?,
                uploaded_by: r.get(4)?,
                uploaded_at: r.get(5)?,
            })
        },
    )
    .optional()
}

pub fn current_terms_content(conn: &Connection) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.query_row(
        "SELECT content FROM terms ORDER BY id DESC LIMIT 1",
        [],
        |r| r.get(0),
    )
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_unique_by_unicode_case_and_found_through_the_index() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("backroom.db");
        // Stored before the e-mail key, when the unique index compared ASCII letters only.
        let before = crate::store::open_before(&db, "contacts_email_key").unwrap();
        before
            .execute_batch(
                "INSERT INTO contacts (name, email, created_at) VALUES
                     ('Jürgen', 'JÜRGEN@x.de', '2026-01-01'), ('Alice', 'Alice@x.org', '2026-01-01')",
            )
            .unwrap();
        drop(before);
        let conn = crate::store::open(&db).unwrap();
        for (address, id) in [("jürgen@X.DE", 1), ("alice@X.ORG", 2)] {
            let found = by_email(&conn, address).unwrap().map(|c| c.id);
            assert_eq!(found, Some(id), "{address}");
        }
        assert!(by_email(&conn, "jurgen@x.de").unwrap().is_none());
        // The store itself refuses a duplicate, whoever writes it.
        let err = insert(&conn, "J", "jürgen@x.de", None).unwrap_err();
        assert!(
            err.to_string()
                .contains("UNIQUE constraint failed: contacts.email"),
            "{err}"
        );
        let err = conn
            .execute("UPDATE contacts SET email = 'ALICE@x.org' WHERE id = 1", [])
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("UNIQUE constraint failed: contacts.email"),
            "{err}"
        );
        conn.execute("UPDATE contacts SET email = 'ALICE@x.org' WHERE id = 2", [])
            .unwrap();
        insert(&conn, "Bob", "bob@x.org", None).unwrap();
        // A writer that does not give the key (SQL of its own) gets it from the triggers, and a
        // changed address gets its new key.
        conn.execute(
            "INSERT INTO contacts (name, email, created_at) VALUES ('Eve', 'Ève@x.fr', '2026-01-01')",
            [],
        )
        .unwrap();
        conn.execute(
            "UPDATE contacts SET email = 'bob@y.org' WHERE email = 'bob@x.org'",
            [],
        )
        .unwrap();
        let stale: i64 = conn
            .query_row(
                "SELECT count(*) FROM contacts WHERE email_key IS NOT email_key(email)",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(stale, 0);
        assert!(by_email(&conn, "ÈVE@X.FR").unwrap().is_some());
        assert!(by_email(&conn, "BOB@y.org").unwrap().is_some());
        assert!(by_email(&conn, "bob@x.org").unwrap().is_none());
        // Found by the index, not by reading every contact.
        let plan = crate::store::query_plan(
            &conn,
            &format!(
                "SELECT id FROM contacts WHERE email_key = 1 AND {}(email) = 'x'",
                collation::LOWER_FN
            ),
        );
        assert!(
            plan.iter()
                .any(|p| p.contains("USING INDEX contacts_email")),
            "{plan:?}"
        );
    }

    #[test]
    fn the_state_rule_written_with_or_keeps_the_contacts_their_indexes_and_triggers() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("backroom.db");
        let before = crate::store::open_before(&db, "contacts_state_check").unwrap();
        let schema = |conn: &Connection| -> Vec<(String, String)> {
            conn.prepare(
                "SELECT name, sql FROM sqlite_schema
                 WHERE tbl_name = 'contacts' AND type <> 'table' ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
        };
        let was = schema(&before);
        for (name, email, state) in [
            ("Zoë", "zoe@x.fr", "active"),
            ("Ana", "ana@x.es", "not_registered"),
            ("Émile", "emile@x.fr", "inactive"),
            ("Bo", "bo@x.se", "deactivated"),
        ] {
            let id = insert(&before, name, email, None).unwrap();
            set_state(&before, id, ContactState::parse(state).unwrap()).unwrap();
        }
        before
            .execute(
                "INSERT INTO contact_identities (contact_id, provider, subject, created_at)
                 VALUES (1, 'portal', 'zoe@x.fr', '2026-01-01')",
                [],
            )
            .unwrap();
        let rows = |conn: &Connection| -> Vec<(i64, String, String, i64)> {
            conn.prepare("SELECT id, name, state, email_key FROM contacts ORDER BY id")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let counts = |conn: &Connection| -> Vec<(String, i64)> {
            conn.prepare("SELECT name, n FROM row_counts WHERE name LIKE 'contacts%' ORDER BY name")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        let (stored, counted) = (rows(&before), counts(&before));
        drop(before);
        let conn = crate::store::open(&db).unwrap();
        assert_eq!(rows(&conn), stored);
        assert_eq!(counts(&conn), counted);
        assert_eq!(schema(&conn), was, "the same indexes and triggers");
        let names: Vec<String> = list(&conn).unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            ["Ana", "Bo", "Émile", "Zoë"],
            "in the name index's order"
        );
        // The rule is the same: a fifth state is refused, the four are taken.
        let err = conn
            .execute("UPDATE contacts SET state = 'gone' WHERE id = 2", [])
            .unwrap_err();
        assert!(err.to_string().contains("CHECK constraint failed"), "{err}");
        set_state(&conn, 2, ContactState::Active).unwrap();
        let err = insert(&conn, "Z", "ZOE@x.fr", None).unwrap_err();
        assert!(
            err.to_string().contains("UNIQUE constraint failed"),
            "{err}"
        );
        // The identities still point at the contacts: deleting one deletes its identity.
        delete_contact(&conn, 1).unwrap();
        let identities: i64 = conn
            .query_row("SELECT count(*) FROM contact_identities", [], |r| r.get(0))
            .unwrap();
        assert_eq!(identities, 0);
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    #[test]
    fn a_list_reads_the_name_index_in_order_for_any_limit() {
        let conn = crate::store::open_in_memory().unwrap();
        let plan = |cond: &str, limit| crate::store::query_plan(&conn, &each_sql(cond, limit));
        for limit in [Some(1), Some(2), Some(4), Some(51), None] {
            let all = plan("1", limit);
            assert!(
                all.iter().any(|p| p.contains("USING INDEX contacts_name"))
                    && !all.iter().any(|p| p.contains("TEMP B-TREE")),
                "limit {limit:?}: {all:?}"
            );
            let active = plan("c.state = 'active'", limit);
            assert!(
                active.iter().any(|p| p.contains("contacts_state_name"))
                    && !active.iter().any(|p| p.contains("TEMP B-TREE")),
                "limit {limit:?}: {active:?}"
            );
        }
    }
}
