//! Spreadsheets read directly (`calamine`): the first sheet of an `.xlsx`, `.xls` or `.ods`
//! file, each row with its row number as the spreadsheet shows it.

use std::path::Path;

use calamine::Reader;

/// The formats read as spreadsheets, by file extension.
pub(super) fn format_of(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "xlsx" | "xlsm" => Some("XLSX"),
        "xls" => Some("XLS"),
        "ods" => Some("ODS"),
        _ => None,
    }
}

/// The rows of the first sheet: (row number, cells as text), empty rows left out.
pub(super) fn rows(path: &Path) -> Result<Vec<(u64, Vec<String>)>, String> {
    let mut book = calamine::open_workbook_auto(path).map_err(|e| e.to_string())?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| "the workbook has no sheet".to_string())?
        .map_err(|e| e.to_string())?;
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let lead = first_column as usize;
    let mut out = Vec::with_capacity(range.height());
    for (i, row) in range.rows().enumerate() {
        let number = u64::from(first_row) + i as u64 + 1;
        let mut cells: Vec<String> = vec![String::new(); lead];
        for (j, c) in row.iter().enumerate() {
            cells.push(text(c).map_err(|e| {
                format!(
                    "row {number}, column {}: the cell holds a formula error ({e}); correct it in the sheet",
                    lead + j + 1
                )
            })?);
        }
        while cells.last().is_some_and(|c| c.trim().is_empty()) {
            cells.pop();
        }
        if !cells.is_empty() {
            out.push((number, cells));
        }
    }
    Ok(out)
}

/// A cell as the spreadsheet shows it: a date as `2026-11-30` (its serial number before), a
/// number with at most 15 significant digits (`0.3`, not `0.30000000000000004`), a boolean as
/// `TRUE`; a formula error (`#N/A`) is refused rather than taken as text.
fn text(cell: &calamine::Data) -> Result<String, String> {
    use calamine::Data;
    Ok(match cell {
        Data::Error(e) => return Err(e.to_string()),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Data::Float(f) => number(*f),
        Data::DateTime(d) if d.is_datetime() => date(d.as_f64()),
        Data::DateTime(d) => number(d.as_f64()),
        other => other.to_string(),
    })
}

fn number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return format!("{}", f as i64);
    }
    let rounded: f64 = format!("{f:.14e}").parse().unwrap_or(f);
    format!("{rounded}")
}

/// An Excel date serial (days since 1899-12-30) as `YYYY-MM-DD`, with the time when it has one.
fn date(serial: f64) -> String {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    let seconds = (serial * 86_400.0).round() as i64;
    let at = epoch.and_hms_opt(0, 0, 0).unwrap_or_default() + chrono::Duration::seconds(seconds);
    if seconds % 86_400 == 0 {
        at.format("%Y-%m-%d").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{CellErrorType, Data, ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn cells_read_as_the_spreadsheet_shows_them() {
        assert_eq!(text(&Data::Float(0.1 + 0.2)).unwrap(), "0.3");
        assert_eq!(text(&Data::Float(1.0)).unwrap(), "1");
        assert_eq!(text(&Data::Float(1234.5)).unwrap(), "1234.5");
        assert_eq!(text(&Data::Bool(true)).unwrap(), "TRUE");
        let day = ExcelDateTime::new(45292.0, ExcelDateTimeType::DateTime, false);
        assert_eq!(text(&Data::DateTime(day)).unwrap(), "2024-01-01");
        let noon = ExcelDateTime::new(45292.5, ExcelDateTimeType::DateTime, false);
        assert_eq!(text(&Data::DateTime(noon)).unwrap(), "2024-01-01 12:00");
        assert_eq!(text(&Data::String("Zoë".into())).unwrap(), "Zoë");
        let refused = text(&Data::Error(CellErrorType::NA)).unwrap_err();
        assert!(refused.contains("N/A"), "{refused}");
    }
}
