//! Documents: real PDFs rendered from an order payload, stored with their SHA-256.

mod delivery_slip;
mod embed;
mod faces;
mod invoice;
mod layout;
pub mod pdf;
mod reminder;
mod shape;
mod wrap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::event::DocumentKind;
use super::payload::Order;

/// A rendered document, ready to store.
#[derive(Debug, Clone, Serialize)]
pub struct Rendered {
    pub kind: DocumentKind,
    pub title: String,
    #[serde(skip)]
    pub bytes: Vec<u8>,
    pub sha256: String,
    /// What could not be printed as written (characters no font has), stored with the document.
    pub warning: Option<String>,
}

impl Rendered {
    fn new(kind: DocumentKind, title: String, pdf: pdf::Finished) -> Rendered {
        let sha256 = sha256_hex(&pdf.bytes);
        Rendered {
            kind,
            title,
            bytes: pdf.bytes,
            sha256,
            warning: pdf.warning,
        }
    }
}

/// Scripts that only print through an installed system font, with a sample character each.
pub const SYSTEM_FONT_SCRIPTS: [(&str, char); 3] =
    [("Japanese", '日'), ("Chinese", '中'), ("Korean", '한')];

/// The scripts of [`SYSTEM_FONT_SCRIPTS`] that no font here can print (they come out as boxes).
pub fn scripts_without_font() -> Vec<&'static str> {
    SYSTEM_FONT_SCRIPTS
        .iter()
        .filter(|(_, c)| faces::for_char(*c, pdf::Weight::Regular).is_none())
        .map(|(name, _)| *name)
        .collect()
}

/// The hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Renders `kind` for `order`; `issuer` is the store's name printed in the header.
pub fn render(kind: DocumentKind, order: &Order, issuer: &str) -> Rendered {
    let (title, pdf) = match kind {
        DocumentKind::Invoice => invoice::render(order, issuer),
        DocumentKind::DeliverySlip => delivery_slip::render(order, issuer),
        DocumentKind::Reminder => reminder::render(order, issuer),
    };
    Rendered::new(kind, title, pdf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printing::event::EventKind;
    use crate::printing::payload::{tests::sample, validate};

    #[test]
    fn rendering_is_deterministic_and_starts_like_a_pdf() {
        let o = validate(EventKind::InvoiceOverdue, &sample()).unwrap();
        for kind in [
            DocumentKind::Invoice,
            DocumentKind::DeliverySlip,
            DocumentKind::Reminder,
        ] {
            let a = render(kind, &o, "Shop");
            let b = render(kind, &o, "Shop");
            assert!(a.bytes.starts_with(b"%PDF-"));
            assert_eq!(a.sha256, b.sha256);
            assert!(a.title.contains("SO-1042"), "{}", a.title);
        }
    }
}
