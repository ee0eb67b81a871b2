//! Which column of an import holds which field: header names in English, French and German,
//! columns without a name ignored (as long as they stay empty).

use super::{Columns, Field, echo};

pub(super) fn columns(headers: &csv::ByteRecord) -> Result<Columns, String> {
    let (mut name, mut email, mut company) = (None, None, None);
    let mut unnamed = Vec::new();
    let count = headers
        .iter()
        .rposition(|h| !String::from_utf8_lossy(h).trim().is_empty())
        .map_or(0, |last| last + 1);
    for (i, raw) in headers.iter().take(count).enumerate() {
        let header = echo(&String::from_utf8_lossy(raw));
        if header.trim().is_empty() {
            unnamed.push(i);
            continue;
        }
        let slot = match Field::parse(&header) {
            Some(Field::Name) => &mut name,
            Some(Field::Email) => &mut email,
            Some(Field::Company) => &mut company,
            None => {
                return Err(format!(
                    "column {} {header:?} is not one of name, email, company \
                     (nom, e-mail, courriel, société; Name, E-Mail, Firma also work; see users_template.csv)",
                    i + 1
                ));
            }
        };
        if slot.is_some() {
            return Err(format!("column {} {header:?} appears twice", i + 1));
        }
        *slot = Some(i);
    }
    match (name, email) {
        (Some(name), Some(email)) => Ok(Columns {
            name,
            email,
            company,
            count,
            unnamed,
        }),
        _ => Err("the header must name the columns name and email (company is optional); see users_template.csv".into()),
    }
}
