//! The "test page": a one-page PDF naming the printer and the time, sent straight through its provider.

use chrono::{DateTime, Utc};
use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};

use crate::net::print::{self, Accepted, PrintRequest, SendError};
use crate::printing::Printer;

/// The job name printers show for a test page.
pub const TITLE: &str = "backroom test page";

/// Renders the test page (A4, Helvetica): title, printer, provider, tray, copies, date.
pub fn render(printer: &Printer, at: DateTime<Utc>) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let page_id = Ref::new(3);
    let font = Ref::new(4);
    let bold = Ref::new(5);
    let contents = Ref::new(6);
    let info = Ref::new(7);
    let (regular, heavy) = (Name(b"F1"), Name(b"F2"));

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids([page_id]).count(1);
    let mut page = pdf.page(page_id);
    page.media_box(Rect::new(0.0, 0.0, 595.0, 842.0))
        .parent(tree)
        .contents(contents);
    let mut resources = page.resources();
    resources.fonts().pair(regular, font).pair(heavy, bold);
    drop(resources);
    drop(page);
    for (id, base) in [(font, &b"Helvetica"[..]), (bold, &b"Helvetica-Bold"[..])] {
        pdf.type1_font(id)
            .base_font(Name(base))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info)
        .title(pdf_writer::TextStr(TITLE))
        .producer(pdf_writer::TextStr("backroom"));

    let lines = [
        format!("Printer: {}", printer.name),
        format!("Provider: {} ({})", printer.provider, printer.target),
        format!(
            "Tray: {}",
            printer.tray.as_deref().unwrap_or("printer default")
        ),
        format!("Copies: {}", printer.copies),
        format!("Printed: {}", at.format("%Y-%m-%d %H:%M:%S UTC")),
    ];
    let mut content = Content::new();
    content.begin_text();
    content.set_font(heavy, 24.0);
    content.next_line(72.0, 760.0);
    content.show(Str(TITLE.as_bytes()));
    content.set_font(regular, 12.0);
    content.set_leading(18.0);
    content.next_line(0.0, -40.0);
    for line in &lines {
        content.show(Str(&latin1(line)));
        content.next_line_using_leading();
    }
    content.next_line_using_leading();
    content.show(Str(
        b"If you can read this page, backroom reaches this printer and its documents print.",
    ));
    content.end_text();
    content.set_line_width(1.0);
    content.rect(60.0, 60.0, 475.0, 722.0);
    content.stroke();
    pdf.stream(contents, &content.finish());
    pdf.finish()
}

/// WinAnsi (Latin-1 subset) bytes for the standard fonts; other characters become '?'.
fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| {
            u8::try_from(u32::from(c))
                .ok()
                .filter(|b| *b >= 0x20)
                .unwrap_or(b'?')
        })
        .collect()
}

/// Renders the test page and sends it through the printer's provider (no print job is recorded).
pub async fn print(printer: &Printer) -> Result<Accepted, SendError> {
    let document = render(printer, Utc::now());
    let job_uuid = uuid::Uuid::new_v4().to_string();
    let req = PrintRequest {
        job_uuid: &job_uuid,
        title: TITLE,
        document: &document,
        copies: 1,
    };
    print::send(printer, &req).await
}

/// `print` for synchronous callers (a TUI action's work in `spawn_blocking`).
pub fn print_blocking(printer: &Printer) -> Result<Accepted, SendError> {
    let rt = crate::printing::check::blocking_runtime()
        .map_err(|e| SendError::Retryable(format!("cannot start sending: {e}")))?;
    rt.block_on(print(printer))
}
