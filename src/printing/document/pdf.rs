//! A small page writer over `pdf-writer`: A4 pages, shaped text in embedded, subset fonts, rules,
//! text boxes that shrink or wrap, and pagination.
//!
//! Output is deterministic (no creation date), so the same payload always gives the same SHA-256
//! on the same machine (system fonts found for CJK are part of what it depends on).

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::embed::FontUse;
use super::shape::{self, Shaped};
use super::wrap;

pub const WIDTH: f32 = 595.0;
pub const HEIGHT: f32 = 842.0;
pub const MARGIN: f32 = 50.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Weight {
    Regular,
    Bold,
}

/// Where a text box puts its lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// The smallest size a box shrinks its text to before wrapping it.
const MIN_SIZE: f32 = 7.0;

/// Pages being written; text positions are in points from the bottom-left corner.
pub struct Writer {
    pages: Vec<Content>,
    title: String,
    fonts: Vec<FontUse>,
    missing: Vec<char>,
}

/// A finished PDF and, when some text could not be drawn as written, a warning saying what.
pub struct Finished {
    pub bytes: Vec<u8>,
    pub warning: Option<String>,
}

impl Writer {
    pub fn new(title: &str) -> Writer {
        Writer {
            pages: vec![Content::new()],
            title: title.to_string(),
            fonts: Vec::new(),
            missing: Vec::new(),
        }
    }

    fn page_index(&mut self) -> usize {
        if self.pages.is_empty() {
            self.pages.push(Content::new());
        }
        self.pages.len() - 1
    }

    /// Starts a new page.
    pub fn new_page(&mut self) {
        self.pages.push(Content::new());
    }

    pub fn text(&mut self, x: f32, y: f32, size: f32, weight: Weight, s: &str) {
        let shaped = shape::shape(s, weight);
        self.draw(x, y, size, &shaped);
    }

    /// Text whose right edge is at `x`.
    pub fn text_right(&mut self, x: f32, y: f32, size: f32, weight: Weight, s: &str) {
        let shaped = shape::shape(s, weight);
        self.draw(x - shaped.width_at(size), y, size, &shaped);
    }

    /// Text cut with an ellipsis to fit `max` points.
    pub fn text_fit(&mut self, x: f32, y: f32, size: f32, max: f32, s: &str) {
        self.text(x, y, size, Weight::Regular, &fit(s, size, max));
    }

    /// Text in a box `max` points wide whose first baseline is `y`: shrunk (down to 7 pt) to fit
    /// one line, else wrapped at that size. Returns the height used below `y` by extra lines.
    #[allow(clippy::too_many_arguments)]
    pub fn text_box(
        &mut self,
        x: f32,
        y: f32,
        max: f32,
        size: f32,
        weight: Weight,
        align: Align,
        s: &str,
    ) -> f32 {
        let whole = shape::shape(s, weight);
        let fitting = size.min(max * 1000.0 / whole.width.max(1.0));
        let (size, lines) = if fitting >= MIN_SIZE.min(size) {
            (fitting, vec![whole])
        } else {
            let size = MIN_SIZE.min(size);
            let lines = wrap::lines(s, size, weight, max)
                .iter()
                .map(|l| shape::shape(l, weight))
                .collect();
            (size, lines)
        };
        let leading = size * 1.2;
        for (i, line) in lines.iter().enumerate() {
            let x = match align {
                Align::Left => x,
                Align::Right => x + max - line.width_at(size),
            };
            self.draw(x, y - leading * i as f32, size, line);
        }
        leading * (lines.len() as f32 - 1.0)
    }

    fn font(&mut self, key: usize) -> usize {
        self.fonts
            .iter()
            .position(|f| f.face.key == key)
            .unwrap_or(self.fonts.len())
    }

    fn draw(&mut self, x: f32, y: f32, size: f32, shaped: &Shaped) {
        let page = self.page_index();
        self.draw_on(page, x, y, size, shaped);
    }

    fn draw_on(&mut self, page: usize, x: f32, y: f32, size: f32, shaped: &Shaped) {
        for c in &shaped.missing {
            if !self.missing.contains(c) {
                self.missing.push(*c);
            }
        }
        let scale = size / 1000.0;
        // Extraction cannot rebuild mixed directions from positions: say what the line reads.
        if let Some(text) = &shaped.mixed_text {
            self.pages[page]
                .begin_marked_content_with_properties(Name(b"Span"))
                .properties()
                .actual_text(TextStr(text));
        }
        let mut pen = x;
        let mut i = 0;
        while i < shaped.glyphs.len() {
            let face = shaped.glyphs[i].face;
            let n = self.font(face.key);
            if n == self.fonts.len() {
                self.fonts.push(FontUse::new(face, n + 1));
            }
            let run_end = shaped.glyphs[i..]
                .iter()
                .position(|g| g.face.key != face.key)
                .map_or(shaped.glyphs.len(), |p| i + p);
            let font = &mut self.fonts[n];
            let c = &mut self.pages[page];
            c.begin_text();
            c.set_font(Name(font.resource.as_bytes()), size);
            let mut k = i;
            while k < run_end {
                // Glyphs moved off the baseline (marks) get their own position; the others go
                // in one TJ, adjusted where shaping (kerning) differs from the font's widths.
                let offset = |g: &shape::Glyph| g.dx != 0.0 || g.dy != 0.0;
                let first = &shaped.glyphs[k];
                c.set_text_matrix([
                    1.0,
                    0.0,
                    0.0,
                    1.0,
                    pen + first.dx * scale,
                    y + first.dy * scale,
                ]);
                let end = if offset(first) {
                    k + 1
                } else {
                    shaped.glyphs[k..run_end]
                        .iter()
                        .position(offset)
                        .map_or(run_end, |p| k + p)
                };
                let mut tj = c.show_positioned();
                let mut items = tj.items();
                let mut pending: Vec<u8> = Vec::new();
                for g in &shaped.glyphs[k..end] {
                    pending.extend_from_slice(&font.cid(g.id, &g.text).to_be_bytes());
                    let adjust = font.font_advance(g.id) - g.advance;
                    if adjust.abs() > 0.01 {
                        items.show(Str(&pending));
                        pending.clear();
                        items.adjust(adjust);
                    }
                    pen += g.advance * scale;
                }
                if !pending.is_empty() {
                    items.show(Str(&pending));
                }
                drop(items);
                drop(tj);
                k = end;
            }
            c.end_text();
            i = run_end;
        }
        if shaped.mixed_text.is_some() {
            self.pages[page].end_marked_content();
        }
    }

    /// A horizontal rule.
    pub fn rule(&mut self, x1: f32, x2: f32, y: f32) {
        let page = self.page_index();
        let c = &mut self.pages[page];
        c.set_line_width(0.6);
        c.move_to(x1, y);
        c.line_to(x2, y);
        c.stroke();
    }

    /// The finished PDF, with "Page n of m" at the foot of each page.
    pub fn finish(mut self) -> Finished {
        let count = self.pages.len();
        let title = self.title.clone();
        for i in 0..count {
            let footer = format!(" - page {} of {count}", i + 1);
            let room = WIDTH - 2.0 * MARGIN - width(&footer, 8.0);
            let footer = format!("{}{footer}", fit(&title, 8.0, room));
            let shaped = shape::shape(&footer, Weight::Regular);
            self.draw_on(i, MARGIN, 30.0, 8.0, &shaped);
        }
        let contents = std::mem::take(&mut self.pages);
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let info = Ref::new(3);
        let mut next = 4;
        let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(next + 2 * i as i32)).collect();
        next += 2 * count as i32;
        let mut errors = Vec::new();
        let mut font_refs = Vec::new();
        for font in &self.fonts {
            match font.write(&mut pdf, next) {
                Ok((id, after)) => {
                    font_refs.push((font.resource.clone(), id));
                    next = after;
                }
                Err(e) => errors.push(e),
            }
        }
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(count as i32);
        pdf.document_info(info)
            .title(TextStr(&title))
            .producer(TextStr("backroom"));
        for (i, content) in contents.into_iter().enumerate() {
            let page_id = page_ids[i];
            let content_id = Ref::new(page_id.get() + 1);
            let mut page = pdf.page(page_id);
            page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
            page.parent(tree);
            page.contents(content_id);
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            for (name, id) in &font_refs {
                fonts.pair(Name(name.as_bytes()), *id);
            }
            fonts.finish();
            resources.finish();
            page.finish();
            pdf.stream(content_id, &content.finish());
        }
        if !self.missing.is_empty() {
            errors.insert(0, missing_warning(&self.missing));
        }
        Finished {
            bytes: pdf.finish(),
            warning: (!errors.is_empty()).then(|| errors.join("; ")),
        }
    }
}

/// "no font has these characters: 🙂 (U+1F642): they print as empty boxes".
fn missing_warning(chars: &[char]) -> String {
    let list: Vec<String> = chars
        .iter()
        .map(|c| format!("{c} (U+{:04X})", u32::from(*c)))
        .collect();
    format!(
        "no font has these characters: {}: they print as empty boxes",
        list.join(", ")
    )
}

/// The width of `s` in points at `size` (shaped in the regular weight).
pub fn width(s: &str, size: f32) -> f32 {
    shape::shape(s, Weight::Regular).width_at(size)
}

/// Cuts `s` with an ellipsis so that it fits `max` points.
pub fn fit(s: &str, size: f32, max: f32) -> String {
    if width(s, size) <= max {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let cut = wrap::longest_prefix(&chars, |n| {
        let head: String = chars[..n].iter().collect();
        width(&format!("{head}…"), size) <= max
    });
    let mut out: String = chars[..cut].iter().collect();
    out.push('…');
    out
}
