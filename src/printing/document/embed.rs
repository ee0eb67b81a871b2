//! Fonts as a document uses them, then written into the PDF: each face subset to its glyphs
//! (`subsetter`) as a Type0 font with Identity-H encoding and a ToUnicode CMap, so that text
//! extraction gives back the characters.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;

use super::faces::Face;

/// One face used by a document: its resource name and the glyphs drawn with it.
pub struct FontUse {
    pub face: &'static Face,
    pub resource: String,
    remapper: GlyphRemapper,
    /// New glyph id → the text it stands for (the first text seen wins).
    texts: BTreeMap<u16, String>,
}

impl FontUse {
    pub fn new(face: &'static Face, n: usize) -> FontUse {
        FontUse {
            face,
            resource: format!("F{n}"),
            remapper: GlyphRemapper::new(),
            texts: BTreeMap::new(),
        }
    }

    /// The glyph's id in the subset (its CID), remembering the text it stands for.
    pub fn cid(&mut self, glyph: u16, text: &str) -> u16 {
        let cid = self.remapper.remap(glyph);
        if !text.is_empty() {
            self.texts.entry(cid).or_insert_with(|| text.to_string());
        }
        cid
    }

    /// The glyph's advance as the font says (thousandths of an em).
    pub fn font_advance(&self, glyph: u16) -> f32 {
        let units = self
            .face
            .shaper
            .glyph_hor_advance(rustybuzz::ttf_parser::GlyphId(glyph))
            .unwrap_or(0);
        self.face.to_milli(f32::from(units))
    }

    /// Writes the font's objects from `next` on; returns the Type0 font's reference and the
    /// next free reference, or an error naming the face that could not be subset.
    pub fn write(&self, pdf: &mut Pdf, next: i32) -> Result<(Ref, i32), String> {
        let face = self.face;
        let subset = subsetter::subset(face.data, face.index, &self.remapper)
            .map_err(|e| format!("the font {} could not be embedded: {e}", face.name))?;
        let [type0, cid, descriptor, cmap, file] = [0, 1, 2, 3, 4].map(|i| Ref::new(next + i));
        let base = format!("{}+{}", self.tag(), face.name);
        let system = SystemInfo {
            registry: Str(b"Adobe"),
            ordering: Str(b"Identity"),
            supplement: 0,
        };
        pdf.type0_font(type0)
            .base_font(Name(base.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid)
            .to_unicode(cmap);
        let mut cid_font = pdf.cid_font(cid);
        cid_font
            .subtype(if face.is_cff() {
                CidFontType::Type0
            } else {
                CidFontType::Type2
            })
            .base_font(Name(base.as_bytes()))
            .system_info(system)
            .font_descriptor(descriptor)
            .default_width(0.0);
        if !face.is_cff() {
            cid_font.cid_to_gid_map_predefined(Name(b"Identity"));
        }
        let advances: Vec<f32> = self
            .remapper
            .remapped_gids()
            .map(|old| self.font_advance(old))
            .collect();
        cid_font.widths().consecutive(0, advances);
        cid_font.finish();
        self.descriptor(pdf, descriptor, file, &base);
        let mut unicode = UnicodeCmap::new(Name(b"Custom"), system);
        for (cid, text) in &self.texts {
            unicode.pair_with_multiple(*cid, text.chars());
        }
        pdf.cmap(cmap, &unicode.finish());
        let mut stream = pdf.stream(file, &subset);
        if face.is_cff() {
            stream.pair(Name(b"Subtype"), Name(b"OpenType"));
        }
        stream.finish();
        Ok((type0, next + 5))
    }

    fn descriptor(&self, pdf: &mut Pdf, id: Ref, file: Ref, base: &str) {
        let f = &self.face.shaper;
        let milli = |v: i16| self.face.to_milli(f32::from(v));
        let bbox = f.global_bounding_box();
        let mut d = pdf.font_descriptor(id);
        d.name(Name(base.as_bytes()))
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(
                milli(bbox.x_min),
                milli(bbox.y_min),
                milli(bbox.x_max),
                milli(bbox.y_max),
            ))
            .italic_angle(0.0)
            .ascent(milli(f.ascender()))
            .descent(milli(f.descender()))
            .cap_height(milli(f.capital_height().unwrap_or(f.ascender())))
            .stem_v(80.0);
        if self.face.is_cff() {
            d.font_file3(file);
        } else {
            d.font_file2(file);
        }
    }

    /// A six-letter subset tag that depends only on the glyphs used.
    fn tag(&self) -> String {
        let mut h: u32 = 2_166_136_261;
        for g in self.remapper.remapped_gids() {
            for b in g.to_le_bytes() {
                h = (h ^ u32::from(b)).wrapping_mul(16_777_619);
            }
        }
        (0..6)
            .map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8))
            .collect()
    }
}
