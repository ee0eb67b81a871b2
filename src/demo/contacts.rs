//! Demo rows of the contacts area: contacts in every state, jobs in several states with files.

use rusqlite::Connection;

use crate::contacts::ContactState;
use crate::store::contacts::{self as q, NewJob};

/// Name, e-mail, company, state, invited, terms accepted.
type DemoContact = (
    &'static str,
    &'static str,
    Option<&'static str>,
    ContactState,
    bool,
    bool,
);
/// Owner index, title, state, input name, PDL model, support name.
type DemoJob = (
    usize,
    &'static str,
    &'static str,
    &'static str,
    bool,
    Option<&'static str>,
);

const CONTACTS: &[DemoContact] = &[
    (
        "Amélie Durand",
        "amelie.durand@atelier-durand.fr",
        Some("Atelier Durand"),
        ContactState::Active,
        true,
        true,
    ),
    (
        "Bastien Morel",
        "b.morel@morel-immobilier.fr",
        Some("Morel Immobilier"),
        ContactState::Active,
        true,
        false,
    ),
    (
        "Clara Weber",
        "clara.weber@weber-design.de",
        Some("Weber Design GmbH"),
        ContactState::Inactive,
        true,
        false,
    ),
    (
        "Diego Fernández",
        "diego@fernandez-eventos.es",
        None,
        ContactState::NotRegistered,
        true,
        false,
    ),
    (
        "Élodie Martin",
        "elodie.martin@example.org",
        None,
        ContactState::NotRegistered,
        false,
        false,
    ),
    (
        "Frank Hoffmann",
        "f.hoffmann@hoffmann-druck.de",
        Some("Hoffmann Druck"),
        ContactState::Deactivated,
        true,
        true,
    ),
    (
        "Giulia Rossi",
        "giulia.rossi@studio-rossi.it",
        Some("Studio Rossi"),
        ContactState::Active,
        true,
        true,
    ),
];

const JOBS: &[DemoJob] = &[
    (
        0,
        "Flyers A5 salon printemps",
        "done",
        "flyer-a5.pdf",
        true,
        Some("logo.svg"),
    ),
    (
        0,
        "Cartes de visite",
        "processing:preflight",
        "cartes.pdf",
        false,
        None,
    ),
    (
        1,
        "Plaquette agence",
        "incoming",
        "plaquette.pdf",
        true,
        None,
    ),
    (
        1,
        "Affiches vitrine",
        "new",
        "affiche-a2.pdf",
        false,
        Some("photos.txt"),
    ),
    (5, "Katalog 2026", "done", "katalog.pdf", false, None),
    (
        6,
        "Menu ristorante",
        "processing:printing",
        "menu.pdf",
        true,
        Some("note.txt"),
    ),
];

pub fn seed(conn: &Connection) -> anyhow::Result<()> {
    let db_path = conn
        .path()
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    let now = crate::store::now();
    let mut ids = Vec::new();
    for (name, email, company, state, invited, terms) in CONTACTS {
        let id = q::insert(conn, name, email, *company)?;
        q::set_state(conn, id, *state)?;
        if *invited {
            q::set_invited(conn, id)?;
        }
        if *terms {
            q::accept_terms(conn, id, &now)?;
        }
        if matches!(
            state,
            ContactState::Active | ContactState::Inactive | ContactState::Deactivated
        ) {
            q::insert_identity(
                conn,
                id,
                "portal",
                email,
                &crate::contacts::token::hash(&crate::contacts::token::generate()),
            )?;
        }
        ids.push(id);
    }
    let pdf = blank_pdf();
    for (owner, title, state, input, model, support) in JOBS {
        let pdl = model.then_some(
            r#"{"media":"A4","sides":"two-sided-long-edge","copies":50,"finishing":["staple"]}"#,
        );
        let id = q::insert_job(
            conn,
            &NewJob {
                contact_id: Some(ids[*owner]),
                title,
                state,
                pdl_model: pdl,
                via: "integration",
                ..NewJob::default()
            },
        )?;
        if db_path.as_os_str().is_empty() {
            continue;
        }
        let dir = crate::contacts::files::job_dir(&db_path, id);
        crate::private_files::create_dir(&dir)?;
        let input_path = dir.join("input.pdf");
        crate::private_files::write(&input_path, &pdf)?;
        q::set_job_input(
            conn,
            id,
            &input_path.display().to_string(),
            input,
            pdf.len() as i64,
        )?;
        if let Some(support) = support {
            let path = dir.join("support");
            crate::private_files::write(&path, format!("support file for {title}\n").as_bytes())?;
            q::set_job_support(conn, id, &path.display().to_string(), support)?;
        }
    }
    crate::contacts::links::load(conn)?;
    Ok(())
}

/// A one-page blank A4 PDF.
pub fn blank_pdf() -> Vec<u8> {
    use pdf_writer::{Pdf, Rect, Ref};
    let (catalog, tree, page) = (Ref::new(1), Ref::new(2), Ref::new(3));
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page]).count(1);
    pdf.page(page)
        .parent(tree)
        .media_box(Rect::new(0.0, 0.0, 595.0, 842.0));
    pdf.finish()
}
