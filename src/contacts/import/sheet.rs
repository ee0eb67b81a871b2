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
        let mut cells: Vec<String> = vec![String::new(); lead];
        cells.extend(row.iter().map(|c| c.to_string()));
        while cells.last().is_some_and(|c| c.trim().is_empty()) {
            cells.pop();
        }
        if !cells.is_empty() {
            out.push((u64::from(first_row) + i as u64 + 1, cells));
        }
    }
    Ok(out)
}
